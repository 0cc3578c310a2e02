package contracts

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestMarshal_NeverEmpty: every message of the files that hold state records
// (state, trading, genesis), with all fields zero, encodes to some bytes (ICS23 cannot prove an empty value) and
// decodes back to the same empty record.
func TestMarshal_NeverEmpty(t *testing.T) {
	_ = custodyv1.File_custody_v1_state_proto // the package's files are registered
	n := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		switch mt.Descriptor().ParentFile().Path() {
		case "custody/v1/state.proto", "custody/v1/trading.proto", "custody/v1/genesis.proto":
		default:
			return true
		}
		if !hasPlainField(mt.Descriptor()) {
			return true // a container (GenesisState), never stored as a record
		}
		n++
		t.Run(string(mt.Descriptor().Name()), func(t *testing.T) {
			empty := mt.New().Interface()
			bz := Marshal(empty)
			require.NotEmpty(t, bz)
			back := mt.New().Interface()
			Unmarshal([]byte("k"), bz, back)
			require.True(t, proto.Equal(empty, back), "decodes to %v", back)
		})
		return true
	})
	require.Greater(t, n, 20, "the custody.v1 messages are registered")
}

func hasPlainField(md protoreflect.MessageDescriptor) bool {
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if fd.ContainingOneof() == nil && fd.Message() == nil && !fd.IsList() && !fd.IsMap() {
			return true
		}
	}
	return false
}

func TestMarshal_NonEmptyRecordIsPlainProtobuf(t *testing.T) {
	f := &custodyv1.Funds{Balance: 5}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(f)
	require.NoError(t, err)
	require.Equal(t, want, Marshal(f))
}

package evidence

import (
	"encoding/json"
	"net/url"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

var pj = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// Query answers "misbehaviour" (records from height ?from=H, at most
// ?limit=N, by height) and "misbehaviour/<height>" (that height's
// records, or ErrNotFound) with {"records": [...]}, each record in
// protojson with proto field names.
func Query(store contracts.Store, rest, rawQuery string) ([]byte, error) {
	var recs []*custodyv1.MisbehaviourRecord
	if rest != "" {
		h, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || h <= 0 {
			return nil, ErrBadQuery.Wrapf("misbehaviour/<height>, got %q", rest)
		}
		if recs = AtHeight(store, h); len(recs) == 0 {
			return nil, ErrNotFound.Wrapf("height %d", h)
		}
	} else {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, ErrBadQuery.Wrapf("%v", err)
		}
		from, limit := int64(0), 0
		if v := q.Get("from"); v != "" {
			if from, err = strconv.ParseInt(v, 10, 64); err != nil || from < 0 {
				return nil, ErrBadQuery.Wrapf("from=%q", v)
			}
		}
		if v := q.Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
				return nil, ErrBadQuery.Wrapf("limit=%q", v)
			}
		}
		recs = From(store, from, limit)
	}
	raw := make([]json.RawMessage, 0, len(recs))
	for _, r := range recs {
		bz, err := pj.Marshal(r)
		if err != nil {
			return nil, ErrBadQuery.Wrapf("encode: %v", err)
		}
		raw = append(raw, bz)
	}
	return json.Marshal(map[string]any{"records": raw})
}

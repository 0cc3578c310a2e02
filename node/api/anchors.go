package api

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/anchors"
)

// Anchored alert batches: the Merkle roots a risk operator's core put on
// chain (contracts/anchors). The operator and the regulator read them; an
// alert and its inclusion proof from the risk core check against a root
// read here with ?prove=true.

// anchorCodec reads the anchors contract's binary records.
var anchorCodec = codec{
	fromJSON: func(bz []byte) (any, error) {
		var b anchors.Batch
		if err := json.Unmarshal(bz, &b); err != nil {
			return nil, ErrUpstream.Wrapf("decode alert batch from the node: %v", err)
		}
		return &b, nil
	},
	fromState: func(bz []byte) (any, error) {
		b, err := anchors.DecodeBatch(bz)
		if err != nil {
			return nil, ErrUpstream.Wrapf("%v", err)
		}
		return b, nil
	},
	toJSON: func(v any) (json.RawMessage, error) {
		bz, err := json.Marshal(v)
		if err != nil {
			return nil, ErrInternal.Wrapf("encode alert batch: %v", err)
		}
		return bz, nil
	},
}

// operatorParam validates :operator (the node decides who may read its
// anchors: the operator and the regulator).
func operatorParam(c *gin.Context) (string, bool) {
	op := c.Param("operator")
	if err := accounts.ValidateParticipantID(op); err != nil {
		fail(c, ErrBadRequest.Wrapf("operator: %v", err))
		return "", false
	}
	return op, true
}

// getAnchor reads one anchored batch.
func (s *Server) getAnchor(c *gin.Context) {
	op, ok := operatorParam(c)
	if !ok {
		return
	}
	seq, err := strconv.ParseUint(c.Param("seq"), 10, 64)
	if err != nil || seq == 0 {
		fail(c, ErrBadRequest.Wrapf("seq %q: batches are numbered from 1", c.Param("seq")))
		return
	}
	s.serveRecord(c, recordSpec{
		path: fmt.Sprintf("anchor/%s/%d", op, seq), key: anchors.BatchKey(op, seq), codec: anchorCodec,
	})
}

// getAnchors pages an operator's batches in sequence order, filtered by
// ?since/?until on the block time that took each.
func (s *Server) getAnchors(c *gin.Context) {
	op, ok := operatorParam(c)
	if !ok {
		return
	}
	s.serveSeqList(c, seqList{
		name: "anchors", owner: op, field: "batches",
		path: func(from uint64, n int) string { return fmt.Sprintf("anchors/%s?from=%d&limit=%d", op, from, n) },
		read: func(raw json.RawMessage) (uint64, int64, bool, error) {
			var b anchors.Batch
			if err := json.Unmarshal(raw, &b); err != nil {
				return 0, 0, false, ErrUpstream.Wrapf("anchors: %v", err)
			}
			return b.Seq, b.Time, true, nil
		},
	})
}

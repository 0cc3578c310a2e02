package contracts

import (
	"time"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Block is what a contract may know about the block it runs in. Time is the
// block header's time, agreed by consensus; it is the only clock there is.
type Block struct {
	ChainID string
	Height  int64
	Time    time.Time
}

// Signer is the authenticated sender of a tx: the abci package has checked
// the signature, the chain id and the sequence before a contract runs.
type Signer struct {
	// Address is the key's address (hex of the first 20 bytes of SHA-256).
	Address string
	Role    custodyv1.Role
	// Owner is the participant id, or the account id for a client key.
	Owner string
	// Operator is the grant of an operator key (message types and amount
	// limit); nil for an unrestricted key. The router checks the message
	// type; a contract whose message moves money leaves the amount to
	// contracts/approvals.
	Operator *custodyv1.OperatorGrant
}

// Event is a typed notification of what a tx did. Events are a convenience
// for indexers and subscribers: they are not part of the app hash, so no
// settlement fact may live only in an event.
type Event struct {
	Type  string
	Attrs []EventAttr
}

// EventAttr is one key/value pair of an Event, in the order emitted.
type EventAttr struct {
	Key, Value string
}

// Context is everything one message execution can see and touch.
type Context struct {
	Block  Block
	Signer Signer
	Store  Store
	// TxHash is the SHA-256 of the tx bytes, for references in records.
	TxHash []byte
	// Verifier checks client signatures (VerifySignature); nil means
	// VerifyEd25519 every time.
	Verifier SigVerifier

	events []Event
}

// NewContext returns a Context for one message execution.
func NewContext(block Block, signer Signer, store Store, txHash []byte) *Context {
	return &Context{Block: block, Signer: signer, Store: store, TxHash: txHash}
}

// Emit records an event. Attribute pairs are key, value, key, value...
func (c *Context) Emit(typ string, kv ...string) {
	ev := Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Attrs = append(ev.Attrs, EventAttr{Key: kv[i], Value: kv[i+1]})
	}
	c.events = append(c.events, ev)
}

// Events returns the events emitted so far, in order.
func (c *Context) Events() []Event { return c.events }

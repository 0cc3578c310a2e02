package contracts

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Route binds one message type to the roles that may send it, its stateless
// validation and its execution.
type Route struct {
	// Name is the message's field name in custodyv1.Msg, e.g. "open_account".
	Name string
	// Roles that may sign this message.
	Roles []custodyv1.Role
	// Validate checks the message alone (no state): lengths, formats, signs.
	Validate func(proto.Message) error
	// Execute applies the message, which it must not modify: the abci
	// package decodes a tx once per node and hands the same message to every
	// check and to the delivery. The returned bytes become the
	// ExecTxResult's Data (covered by the results hash).
	Execute func(*Context, proto.Message) ([]byte, error)
}

// Handle builds a Route from typed functions, so handlers need no type
// assertions of their own.
func Handle[M proto.Message](name string, roles []custodyv1.Role, validate func(M) error, execute func(*Context, M) ([]byte, error)) Route {
	return Route{
		Name:     name,
		Roles:    roles,
		Validate: func(m proto.Message) error { return validate(m.(M)) },
		Execute:  func(c *Context, m proto.Message) ([]byte, error) { return execute(c, m.(M)) },
	}
}

// Router maps each message of custodyv1.Msg to its Route.
type Router struct {
	routes map[string]Route
}

// NewRouter builds a router from routes. A route for a name that is not a
// field of custodyv1.Msg, or two routes for one name, panic: wiring bugs.
func NewRouter(routes ...Route) *Router {
	fields := (&custodyv1.Msg{}).ProtoReflect().Descriptor().Fields()
	r := &Router{routes: map[string]Route{}}
	for _, rt := range routes {
		if fields.ByName(protoreflect.Name(rt.Name)) == nil {
			panic(fmt.Sprintf("contracts: route %q is not a field of custody.v1.Msg", rt.Name))
		}
		if _, dup := r.routes[rt.Name]; dup {
			panic(fmt.Sprintf("contracts: route %q registered twice", rt.Name))
		}
		r.routes[rt.Name] = rt
	}
	return r
}

// Routes returns every route sorted by name (for docs and tests).
func (r *Router) Routes() []Route {
	out := make([]Route, 0, len(r.routes))
	for _, name := range sortedKeys(r.routes) {
		out = append(out, r.routes[name])
	}
	return out
}

// Resolve finds the route of msg and returns it with the inner message.
func (r *Router) Resolve(msg *custodyv1.Msg) (Route, proto.Message, error) {
	if msg == nil {
		return Route{}, nil, ErrUnknownMessage.Wrapf("no message")
	}
	m := msg.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("sum"))
	if field == nil {
		return Route{}, nil, ErrUnknownMessage.Wrapf("empty message")
	}
	rt, ok := r.routes[string(field.Name())]
	if !ok {
		return Route{}, nil, ErrUnknownMessage.Wrapf("no contract handles %s", field.Name())
	}
	inner := m.Get(field).Message().Interface()
	return rt, inner, nil
}

// Check runs everything that needs no state: the route exists, the signer's
// role may send it, and the message validates. CheckTx and FinalizeBlock
// both call it, so the mempool refuses what a block would refuse.
func (r *Router) Check(role custodyv1.Role, msg *custodyv1.Msg) (Route, proto.Message, error) {
	rt, inner, err := r.Resolve(msg)
	if err != nil {
		return Route{}, nil, err
	}
	if !slices.Contains(rt.Roles, role) {
		return Route{}, nil, ErrUnauthorizedRole.Wrapf("%s may not send %s", role, rt.Name)
	}
	if err := rt.Validate(inner); err != nil {
		return Route{}, nil, err
	}
	return rt, inner, nil
}

// ErrNotGranted is auth's code 10: an operator key sent a message type its
// grant does not list. Registered here because the router checks it.
var ErrNotGranted = Register("auth", 10, "operator key is not granted this message type")

// CheckSigner is Check for an authenticated signer: the role, then, for an
// operator key, that its grant lists the message type. CheckTx and
// FinalizeBlock call it before any contract runs, so an operator's
// ungranted tx never executes (and, being refused before execution,
// consumes no sequence).
func (r *Router) CheckSigner(signer Signer, msg *custodyv1.Msg) (Route, proto.Message, error) {
	rt, inner, err := r.Check(signer.Role, msg)
	if err != nil {
		return Route{}, nil, err
	}
	if err := CheckGrant(signer, rt.Name); err != nil {
		return Route{}, nil, err
	}
	return rt, inner, nil
}

// CheckGrant refuses an operator key a message type outside its grant. An
// unrestricted key (no grant) may send whatever its role may.
func CheckGrant(signer Signer, msgType string) error {
	if signer.Operator == nil {
		return nil
	}
	if _, ok := slices.BinarySearch(signer.Operator.MsgTypes, msgType); !ok {
		return ErrNotGranted.Wrapf("operator key %s of %s may not send %s (granted: %v)", signer.Address, signer.Owner, msgType, signer.Operator.MsgTypes)
	}
	return nil
}

// Deliver checks msg and executes it in ctx. The caller (abci) runs it over
// a buffered store and discards the writes when it returns an error.
func (r *Router) Deliver(ctx *Context, msg *custodyv1.Msg) ([]byte, error) {
	rt, inner, err := r.CheckSigner(ctx.Signer, msg)
	if err != nil {
		return nil, err
	}
	return rt.Execute(ctx, inner)
}

// AmountFunc says how much money (in fen) a message moves, given the state
// it would execute on; contracts/approvals compares it with an operator
// key's amount limit. An error refuses the message as its Execute would.
type AmountFunc func(*Context, proto.Message) (int64, error)

// Amount builds an AmountFunc from a typed function.
func Amount[M proto.Message](f func(*Context, M) (int64, error)) AmountFunc {
	return func(c *Context, m proto.Message) (int64, error) { return f(c, m.(M)) }
}

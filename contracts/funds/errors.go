package funds

import "github.com/custody-ledger/custody/contracts"

// Codespace of the funds contract's refusals.
const Codespace = "funds"

var (
	// ErrOverdraft is returned by Freeze when the amount exceeds the
	// account's withdrawable funds.
	ErrOverdraft = contracts.Register(Codespace, 1, "amount exceeds withdrawable funds")
	// ErrOverflow is returned by Deposit when a balance or a total would
	// pass the int64 range.
	ErrOverflow = contracts.Register(Codespace, 2, "amount overflows a balance or total")
	// ErrInsufficient is returned by FreezeOrder and Trade when the
	// account's available funds (or a fee payee's balance) do not cover
	// the amount.
	ErrInsufficient = contracts.Register(Codespace, 3, "amount exceeds available funds")
)

package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Governance (contracts/governance): tx propose-add-participant,
// propose-remove-participant, propose-validator-power, propose-upgrade,
// propose-cancel-upgrade, vote; query proposals, proposal, upgrade.

func newGovernanceTxCmds(e *env) []*cobra.Command {
	return []*cobra.Command{
		newProposeAddParticipantCmd(e), newProposeRemoveParticipantCmd(e), newProposeValidatorPowerCmd(e),
		newProposeUpgradeCmd(e), newProposeCancelUpgradeCmd(e), newVoteCmd(e),
	}
}

func newGovernanceQueryCmds(e *env) []*cobra.Command {
	return []*cobra.Command{
		newJSONQuery(e, "proposals", "every governance proposal with its votes and status", "proposals"),
		newArgJSONQuery(e, "proposal ID", "one governance proposal", func(arg string) string { return "proposal/" + url.PathEscape(arg) }),
		newJSONQuery(e, "upgrade", "the scheduled software upgrade, those applied and the app version", "upgrade"),
	}
}

// proposalFlags are the flags every propose-... command takes.
type proposalFlags struct {
	tx           txFlags
	id, title    string
	votingBlocks int64
}

func (p *proposalFlags) register(cmd *cobra.Command) {
	p.tx.register(cmd)
	cmd.Flags().StringVar(&p.id, "id", "", "the proposal's id, unique on the chain ([a-z0-9-], at most 48)")
	cmd.Flags().StringVar(&p.title, "title", "", "what and why, for the other institutions (at most 256 bytes)")
	cmd.Flags().Int64Var(&p.votingBlocks, "voting-blocks", 0, "blocks the proposal stays open (0: 86400)")
}

func (p *proposalFlags) msg() (*custodyv1.MsgSubmitProposal, error) {
	if p.id == "" || p.title == "" {
		return nil, usagef(errors.New("--id and --title are required"))
	}
	return &custodyv1.MsgSubmitProposal{Id: p.id, Title: p.title, VotingBlocks: p.votingBlocks}, nil
}

var roleNames = map[string]custodyv1.Role{
	"bank": custodyv1.Role_ROLE_BANK, "broker": custodyv1.Role_ROLE_BROKER, "regulator": custodyv1.Role_ROLE_REGULATOR,
	"clearing-house": custodyv1.Role_ROLE_CLEARING_HOUSE, "risk-operator": custodyv1.Role_ROLE_RISK_OPERATOR,
}

func newProposeAddParticipantCmd(e *env) *cobra.Command {
	var (
		p               proposalFlags
		pid, role, name string
		pubHexes        []string
		validatorHex    string
		power           int64
	)
	cmd := &cobra.Command{
		Use:   "propose-add-participant",
		Short: "institution: propose a new participant (and its validator); it joins when >2/3 of the power, a regulator among it, approve",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := p.msg()
			if err != nil {
				return err
			}
			r, ok := roleNames[role]
			if !ok {
				return usagef(fmt.Errorf("--role %q: one of bank, broker, regulator, clearing-house, risk-operator", role))
			}
			np := &custodyv1.Participant{Id: pid, Role: r, Name: name, ValidatorPower: power}
			for _, h := range pubHexes {
				pk, err := hexFlag("pubkey", h, 32)
				if err != nil {
					return err
				}
				np.PubKeys = append(np.PubKeys, pk)
			}
			if validatorHex != "" {
				if np.ValidatorPubKey, err = hexFlag("validator-pubkey", validatorHex, 32); err != nil {
					return err
				}
			}
			m.Change = &custodyv1.MsgSubmitProposal_AddParticipant{AddParticipant: np}
			return e.submit(cmd.Context(), &p.tx, m)
		},
	}
	p.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&pid, "participant", "", "the new participant's id")
	fl.StringVar(&role, "role", "", "bank, broker, regulator, clearing-house or risk-operator")
	fl.StringVar(&name, "name", "", "the institution's name")
	fl.StringSliceVar(&pubHexes, "pubkey", nil, "its signing key(s), ed25519 hex (repeat or comma-separate)")
	fl.StringVar(&validatorHex, "validator-pubkey", "", "its node's consensus key, ed25519 hex (custodyd show-validator)")
	fl.Int64Var(&power, "power", 0, "its voting power (0: no validator)")
	return cmd
}

func newProposeRemoveParticipantCmd(e *env) *cobra.Command {
	var p proposalFlags
	cmd := &cobra.Command{
		Use:   "propose-remove-participant PARTICIPANT_ID",
		Short: "institution: propose removing a participant (refused while a bank or broker has open accounts)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := p.msg()
			if err != nil {
				return err
			}
			m.Change = &custodyv1.MsgSubmitProposal_RemoveParticipant{RemoveParticipant: args[0]}
			return e.submit(cmd.Context(), &p.tx, m)
		},
	}
	p.register(cmd)
	return cmd
}

func newProposeValidatorPowerCmd(e *env) *cobra.Command {
	var (
		p     proposalFlags
		power int64
	)
	cmd := &cobra.Command{
		Use:   "propose-validator-power PARTICIPANT_ID",
		Short: "institution: propose a participant's new voting power (at most a third of the total may move at once)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := p.msg()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("power") {
				return usagef(errors.New("--power is required"))
			}
			m.Change = &custodyv1.MsgSubmitProposal_SetValidatorPower{SetValidatorPower: &custodyv1.ValidatorPowerChange{ParticipantId: args[0], Power: power}}
			return e.submit(cmd.Context(), &p.tx, m)
		},
	}
	p.register(cmd)
	cmd.Flags().Int64Var(&power, "power", 0, "the new voting power (0: stop validating)")
	return cmd
}

func newProposeUpgradeCmd(e *env) *cobra.Command {
	var (
		p      proposalFlags
		name   string
		height int64
		info   string
	)
	cmd := &cobra.Command{
		Use:   "propose-upgrade",
		Short: "institution: propose a software upgrade: every node stops at --height until it runs the binary with --name's migration",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := p.msg()
			if err != nil {
				return err
			}
			if name == "" || height <= 0 {
				return usagef(errors.New("--name and --height are required"))
			}
			m.Change = &custodyv1.MsgSubmitProposal_SoftwareUpgrade{SoftwareUpgrade: &custodyv1.UpgradePlan{Name: name, Height: height, Info: info}}
			return e.submit(cmd.Context(), &p.tx, m)
		},
	}
	p.register(cmd)
	cmd.Flags().StringVar(&name, "name", "", "the upgrade's name, as the new binary registers its migration")
	cmd.Flags().Int64Var(&height, "height", 0, "the first height the new binary executes")
	cmd.Flags().StringVar(&info, "info", "", "where the binary is and its checksum (at most 512 bytes)")
	return cmd
}

func newProposeCancelUpgradeCmd(e *env) *cobra.Command {
	var p proposalFlags
	cmd := &cobra.Command{
		Use:   "propose-cancel-upgrade NAME",
		Short: "institution: propose cancelling the scheduled upgrade NAME",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := p.msg()
			if err != nil {
				return err
			}
			m.Change = &custodyv1.MsgSubmitProposal_CancelUpgrade{CancelUpgrade: args[0]}
			return e.submit(cmd.Context(), &p.tx, m)
		},
	}
	p.register(cmd)
	return cmd
}

func newVoteCmd(e *env) *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:   "vote PROPOSAL_ID yes|no",
		Short: "institution with voting power: vote on a proposal (once); the deciding vote applies it",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var approve bool
			switch strings.ToLower(args[1]) {
			case "yes":
				approve = true
			case "no":
			default:
				return usagef(fmt.Errorf("vote %q: yes or no", args[1]))
			}
			return e.submit(cmd.Context(), &f, &custodyv1.MsgVoteProposal{ProposalId: args[0], Approve: approve})
		},
	}
	f.register(cmd)
	return cmd
}

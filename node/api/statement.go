package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/contracts/interest"
)

// getStatement serves a client's statement (对账单) for a day
// (?date=YYYYMMDD) or a month (?month=YYYYMM): opening and closing balance,
// every fund-ledger entry, the fills with fees, the holdings at the close
// (contracts/interest.Statement). Who may read the account may read its
// statement. The answer is a Record whose value is the ClientStatement as
// the node built it at that height; each ledger entry in it can be read
// with a proof from /v1/accounts/{id}/ledger.
func (s *Server) getStatement(c *gin.Context) {
	id, ok := accountParam(c)
	if !ok {
		return
	}
	date, month := c.Query("date"), c.Query("month")
	period := date
	if (date == "") == (month == "") {
		fail(c, ErrBadRequest.Wrapf("give one of date=YYYYMMDD or month=YYYYMM"))
		return
	}
	if date == "" {
		period = month
	}
	if _, _, err := interest.StatementPeriod(period); err != nil || (date != "" && len(date) != 8) || (month != "" && len(month) != 6) {
		fail(c, ErrBadRequest.Wrapf("period %q: want date=YYYYMMDD or month=YYYYMM", period))
		return
	}
	if !s.checkAccount(c, id) {
		return
	}
	res, err := s.chain.Query(c.Request.Context(), "/custody/statement/"+id+"/"+period, nil, 0, false)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Record{Height: res.Height, Value: res.Value})
}

package interest

// Calendar arithmetic on YYYYMMDD business dates without package time: a
// date maps to a day number (days since 1970-01-01, proleptic Gregorian)
// by Howard Hinnant's days_from_civil, and back by civil_from_days.

// DayNumber is the number of days from 1970-01-01 to date (YYYYMMDD).
func DayNumber(date uint32) int64 {
	y, m, d := int64(date/10000), int64(date/100%100), int64(date%100)
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// DateOf is the YYYYMMDD date of a day number.
func DateOf(n int64) uint32 {
	z := n + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return uint32(y*10000 + m*100 + d)
}

// AddDays is date + n calendar days.
func AddDays(date uint32, n int64) uint32 { return DateOf(DayNumber(date) + n) }

// DaysBetween is the number of calendar days from a to b (b − a).
func DaysBetween(a, b uint32) int64 { return DayNumber(b) - DayNumber(a) }

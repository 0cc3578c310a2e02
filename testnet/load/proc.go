package load

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// ProcSample is one reading of a process's CPU time and memory.
type ProcSample struct {
	At time.Time
	// CPU is user plus system time since the process started.
	CPU time.Duration
	// RSS is the resident set now; PeakRSS the highest it has been (VmHWM).
	RSS, PeakRSS int64
}

// ReadProc reads /proc/PID/stat and /proc/PID/status (pid 0: this process).
func ReadProc(pid int) (ProcSample, error) {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	s := ProcSample{At: time.Now()}
	stat, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return s, fmt.Errorf("load: %w", err)
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields from the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("load: /proc/%s/stat: no command field", p)
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ')': state is field 3; utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s, fmt.Errorf("load: /proc/%s/stat: %d fields", p, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("load: /proc/%s/stat: bad utime/stime %q %q", p, f[11], f[12])
	}
	s.CPU = time.Duration(ut+st) * clockTick
	status, err := os.Open("/proc/" + p + "/status")
	if err != nil {
		return s, fmt.Errorf("load: %w", err)
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			s.RSS = kb << 10
		case "VmHWM":
			s.PeakRSS = kb << 10
		}
	}
	return s, sc.Err()
}

// Usage is a process's use of the machine over a window.
type Usage struct {
	Name string
	// CPUPercent is CPU time over wall time, in percent of one core (200
	// is both cores of a 2-core machine).
	CPUPercent float64
	// RSS is the resident memory at the end of the window; PeakRSS the
	// process's high-water mark.
	RSS, PeakRSS int64
}

// UsageBetween is the usage of one process between two samples.
func UsageBetween(name string, a, b ProcSample) Usage {
	u := Usage{Name: name, RSS: b.RSS, PeakRSS: b.PeakRSS}
	if wall := b.At.Sub(a.At); wall > 0 {
		u.CPUPercent = 100 * float64(b.CPU-a.CPU) / float64(wall)
	}
	return u
}

// Machine describes this machine from /proc/cpuinfo and /proc/meminfo:
// "2 x Intel(R) Xeon(R) Processor, 23 GiB RAM, linux/amd64".
func Machine() string {
	model, n := "unknown CPU", 0
	if bz, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(bz), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "processor":
				n++
			case "model name":
				model = strings.TrimSpace(v)
			}
		}
	}
	mem := ""
	if bz, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(bz), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				mem = fmt.Sprintf(", %d GiB RAM", (kb+1<<19)>>20)
			}
		}
	}
	return fmt.Sprintf("%d x %s%s, %s/%s, %s", n, model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

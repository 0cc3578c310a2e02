package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cometbft/cometbft/libs/log"
)

// certFiles serves the certificate in Config.TLSCertFile/TLSKeyFile and
// reads the pair again when either file changes, so an operator renews a
// certificate by replacing the files (as certbot or an internal CA's agent
// does) without restarting the node. A renewal that does not load (a
// half-written file, a key that does not match) is logged and the old
// pair kept: a bad renewal must not take the API off the air.
type certFiles struct {
	certFile, keyFile string
	logger            log.Logger

	mu      sync.Mutex
	cert    *tls.Certificate // guarded by mu
	certMod time.Time        // guarded by mu; modification times of the loaded pair
	keyMod  time.Time        // guarded by mu
	checked time.Time        // guarded by mu; when the files were last stat'ed
}

// certCheckInterval bounds how often a handshake stats the files (a
// variable so that a test can make it 0).
var certCheckInterval = 5 * time.Second

func loadCertFiles(certFile, keyFile string, logger log.Logger) (*certFiles, error) {
	cf := &certFiles{certFile: certFile, keyFile: keyFile, logger: logger}
	certMod, keyMod, err := cf.modTimes()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("api: tls: %w", err)
	}
	cf.cert, cf.certMod, cf.keyMod, cf.checked = &cert, certMod, keyMod, time.Now()
	return cf, nil
}

func (cf *certFiles) modTimes() (certMod, keyMod time.Time, err error) {
	ci, err := os.Stat(cf.certFile)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("api: tls: %w", err)
	}
	ki, err := os.Stat(cf.keyFile)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("api: tls: %w", err)
	}
	return ci.ModTime(), ki.ModTime(), nil
}

// getCertificate is tls.Config.GetCertificate.
func (cf *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if now := time.Now(); now.Sub(cf.checked) >= certCheckInterval {
		cf.checked = now
		cf.maybeReloadLocked()
	}
	return cf.cert, nil
}

// maybeReloadLocked loads the pair again if a file's modification time
// moved. cf.mu is held.
func (cf *certFiles) maybeReloadLocked() {
	certMod, keyMod, err := cf.modTimes()
	if err != nil {
		cf.logger.Error("api: tls: keeping the loaded certificate", "err", err)
		return
	}
	if certMod.Equal(cf.certMod) && keyMod.Equal(cf.keyMod) {
		return
	}
	cert, err := tls.LoadX509KeyPair(cf.certFile, cf.keyFile)
	if err != nil {
		// Perhaps the cert is replaced and the key not yet: try again at the
		// next check, keeping the old pair meanwhile.
		cf.logger.Error("api: tls: renewed certificate does not load; keeping the old one", "err", err)
		return
	}
	cf.cert, cf.certMod, cf.keyMod = &cert, certMod, keyMod
	cf.logger.Info("api: tls: certificate reloaded", "file", cf.certFile)
}

// tlsConfig builds the server's TLS config from cfg: the certificate
// pair (reloaded on change), and with TLSClientCAFile a demand for a
// client certificate from those CAs.
func tlsConfig(cfg Config, logger log.Logger) (*tls.Config, error) {
	cf, err := loadCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile, logger)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.getCertificate}
	if cfg.TLSClientCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("api: tls client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("api: tls client CA: " + cfg.TLSClientCAFile + " holds no PEM certificate")
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

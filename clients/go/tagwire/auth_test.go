package tagwire_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
)

var authArticle = tagwire.Article{ID: "auth-1", Body: "NATO ministers met in Kyiv on Tuesday."}

// streamError tags one article on a stream and returns the error that ends
// it early, or nil if the article was tagged. Streams are not retried, so a
// refused connection fails at once.
func streamError(t *testing.T, client *tagwire.Client) error {
	t.Helper()
	stream, err := client.TagStream(testContext(t))
	if err != nil {
		return err
	}
	if err := stream.Send(authArticle); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	stream.CloseSend()
	result, err := stream.Recv()
	if err != nil {
		return err
	}
	if result.Failure != nil {
		t.Fatalf("article refused: %v", result.Failure)
	}
	return nil
}

func TestToken(t *testing.T) {
	const token = "s3cret-token"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--token_file="+tokenFile)
	ctx := testContext(t)

	for name, opts := range map[string][]tagwire.Option{
		"no token":    nil,
		"wrong token": {tagwire.WithToken("not-" + token)},
	} {
		client := newClient(t, s.Addr, opts...)
		if _, err := client.Tag(ctx, authArticle); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: Tag: %v, want Unauthenticated", name, err)
		}
		if _, err := client.Stats(ctx); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: Stats: %v, want Unauthenticated", name, err)
		}
		if err := streamError(t, client); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: TagStream: %v, want Unauthenticated", name, err)
		}
		// Subscribe returns at once; the refusal comes with the first Recv.
		subscription, err := client.Subscribe(ctx, tagwire.Filter{})
		if err == nil {
			_, err = subscription.Recv()
			subscription.Close()
		}
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: Subscribe: %v, want Unauthenticated", name, err)
		}
	}

	client := newClient(t, s.Addr, tagwire.WithToken(token))
	tagged, err := client.Tag(ctx, authArticle)
	if err != nil || len(tagged.GetTags()) == 0 {
		t.Fatalf("Tag with the token: %v, %v", tagged, err)
	}
	if err := streamError(t, client); err != nil {
		t.Errorf("TagStream with the token: %v", err)
	}
	if _, err := client.Stats(ctx); err != nil {
		t.Errorf("Stats with the token: %v", err)
	}
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, serverCert, serverKey string
	roots                         *x509.CertPool
	client                        tls.Certificate
}

// newTestPKI creates the CA and certificates in dir.
func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	writePEM := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	now := time.Now()
	caKey := newKey()
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tagwire test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, name string, usage x509.ExtKeyUsage, ips ...net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := newKey()
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: ips,
		}, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	marshalKey := func(key *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}

	pki := testPKI{roots: x509.NewCertPool()}
	pki.roots.AddCert(ca)
	pki.caFile = writePEM("ca.pem", "CERTIFICATE", caDER)
	serverDER, serverKey := issue(2, "tagwired", x509.ExtKeyUsageServerAuth, net.ParseIP("127.0.0.1"))
	pki.serverCert = writePEM("server.pem", "CERTIFICATE", serverDER)
	pki.serverKey = writePEM("server.key", "PRIVATE KEY", marshalKey(serverKey))
	clientDER, clientKey := issue(3, "tagwire client", x509.ExtKeyUsageClientAuth)
	pki.client = tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}
	return pki
}

func TestTLS(t *testing.T) {
	pki := newTestPKI(t, t.TempDir())
	s := startServer(t, "--tls_cert="+pki.serverCert, "--tls_key="+pki.serverKey)
	ctx := testContext(t)

	client := newClient(t, s.Addr, tagwire.WithTLS(&tls.Config{RootCAs: pki.roots}))
	if tagged, err := client.Tag(ctx, authArticle); err != nil || len(tagged.GetTags()) == 0 {
		t.Fatalf("Tag over TLS: %v, %v", tagged, err)
	}
	if err := streamError(t, client); err != nil {
		t.Errorf("TagStream over TLS: %v", err)
	}

	for name, opts := range map[string][]tagwire.Option{
		"local plaintext (the default)": nil,
		"WithInsecure":                  {tagwire.WithInsecure()},
		"TLS with the system roots":     {tagwire.WithTLS(nil)},
		"WithInsecure after WithTLS":    {tagwire.WithTLS(&tls.Config{RootCAs: pki.roots}), tagwire.WithInsecure()},
	} {
		if err := streamError(t, newClient(t, s.Addr, opts...)); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: %v, want Unavailable", name, err)
		}
	}
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t, t.TempDir())
	s := startServer(t, "--tls_cert="+pki.serverCert, "--tls_key="+pki.serverKey,
		"--tls_client_ca="+pki.caFile)

	withCert := newClient(t, s.Addr, tagwire.WithTLS(&tls.Config{
		RootCAs: pki.roots, Certificates: []tls.Certificate{pki.client},
	}))
	if err := streamError(t, withCert); err != nil {
		t.Errorf("TagStream with a client certificate: %v", err)
	}
	withoutCert := newClient(t, s.Addr, tagwire.WithTLS(&tls.Config{RootCAs: pki.roots}))
	if err := streamError(t, withoutCert); status.Code(err) != codes.Unavailable {
		t.Errorf("TagStream without a client certificate: %v, want Unavailable", err)
	}
}

// nonLoopbackIP returns an IPv4 address of this machine other than a
// loopback or link-local one, skipping the test if there is none.
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range addrs {
		if ipNet, ok := addr.(*net.IPNet); ok {
			if ip := ipNet.IP.To4(); ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return ip
			}
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address: cannot check that plaintext is refused to one")
	return nil
}

// TestPlaintextOnlyToLocalServersByDefault checks the default transport:
// plaintext to a server on this machine, by address or by name, and a
// refusal, before anything (the token) is sent, to a server on another
// address, unless WithInsecure allows it.
func TestPlaintextOnlyToLocalServersByDefault(t *testing.T) {
	ip := nonLoopbackIP(t)
	s := startServer(t, "--listen=0.0.0.0:0", "--allow_insecure_remote")
	_, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)

	for _, host := range []string{"127.0.0.1", "localhost"} {
		client := newClient(t, net.JoinHostPort(host, port), tagwire.WithToken("t"))
		if _, err := client.Tag(ctx, authArticle); err != nil {
			t.Errorf("Tag to %s with the default transport: %v", host, err)
		}
		if err := streamError(t, client); err != nil {
			t.Errorf("TagStream to %s with the default transport: %v", host, err)
		}
	}

	remote := net.JoinHostPort(ip.String(), port)
	client := newClient(t, remote, tagwire.WithToken("t"))
	if _, err := client.Tag(ctx, authArticle); status.Code(err) != codes.Unavailable {
		t.Errorf("Tag to %s with the default transport: %v, want Unavailable", remote, err)
	}
	err = streamError(t, client)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "non-local address") {
		t.Errorf("TagStream to %s with the default transport: %v, want Unavailable from the local "+
			"credentials", remote, err)
	}

	client = newClient(t, remote, tagwire.WithToken("t"), tagwire.WithInsecure())
	if _, err := client.Tag(ctx, authArticle); err != nil {
		t.Errorf("Tag to %s WithInsecure: %v", remote, err)
	}
	if err := streamError(t, client); err != nil {
		t.Errorf("TagStream to %s WithInsecure: %v", remote, err)
	}
}

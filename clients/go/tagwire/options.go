package tagwire

import (
	"context"
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
)

// Defaults of the Client options.
const (
	// DefaultTimeout is the deadline given to a unary call whose context has
	// none (see WithTimeout).
	DefaultTimeout = 30 * time.Second

	// DefaultMaxReceiveBytes is the largest response message the client
	// accepts. gRPC's own default, 4 MiB, is too small for the tagged result
	// of a large article with every mention listed. Override it with
	// WithDialOptions(grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(n))).
	DefaultMaxReceiveBytes = 64 << 20
)

// retryServiceConfig retries the idempotent unary calls when the server is
// unavailable (restarting, draining, or the taxonomy still loading). Neither
// ReloadTaxonomy (not idempotent in its effect on counters and logs, and slow)
// nor the streams are retried: a stream's articles without a response must be
// resent by the caller, who knows which ones they are.
const retryServiceConfig = `{
  "methodConfig": [{
    "name": [
      {"service": "tagwire.v1.TaggingService", "method": "Tag"},
      {"service": "tagwire.v1.AdminService", "method": "GetTaxonomy"},
      {"service": "tagwire.v1.AdminService", "method": "GetServerStats"}
    ],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.1s",
      "maxBackoff": "2s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// An Option configures a Client in NewClient.
type Option func(*config)

// config collects the Options of one NewClient call.
type config struct {
	token       string
	useTLS      bool
	tlsConfig   *tls.Config
	timeout     time.Duration
	dialOptions []grpc.DialOption
}

// WithToken makes the client send "authorization: Bearer <token>" metadata
// on every call, as a server started with --token_file requires. The token
// is sent over plaintext too (tagwired accepts that on loopback), so use
// WithTLS for anything that leaves the machine.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithTLS makes the client connect over TLS with the given configuration. A
// nil config verifies the server against the system's root certificates;
// set RootCAs for a private CA and Certificates for mTLS.
func WithTLS(tlsConfig *tls.Config) Option {
	return func(c *config) {
		c.useTLS = true
		c.tlsConfig = tlsConfig
	}
}

// WithInsecure makes the client connect over plaintext HTTP/2, undoing an
// earlier WithTLS. Plaintext is the default: tagwired serves plaintext only
// on loopback unless told otherwise, so this is meant for a local server.
func WithInsecure() Option {
	return func(c *config) {
		c.useTLS = false
		c.tlsConfig = nil
	}
}

// WithTimeout sets the deadline given to unary calls (Tag and the admin
// calls, through the facade or the raw stubs) whose context has no deadline.
// The default is DefaultTimeout; zero or a negative duration disables it.
// Streams never get a default deadline: they live as long as their context.
func WithTimeout(timeout time.Duration) Option {
	return func(c *config) { c.timeout = timeout }
}

// WithDialOptions passes extra options to grpc.NewClient, after the ones this
// package sets, so they win where gRPC lets the last option win (keepalive,
// interceptors, call options such as a different grpc.MaxCallRecvMsgSize).
func WithDialOptions(options ...grpc.DialOption) Option {
	return func(c *config) { c.dialOptions = append(c.dialOptions, options...) }
}

// bearerToken sends a token as gRPC per-call credentials.
type bearerToken string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials. It
// returns false so that a token can be used with a plaintext loopback server.
func (bearerToken) RequireTransportSecurity() bool { return false }

// defaultTimeoutInterceptor gives a unary call a deadline of timeout when its
// context has none, so a call to a hung server cannot block forever.
func defaultTimeoutInterceptor(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

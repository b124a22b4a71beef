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

	// DefaultMaxMessageBytes is the largest request the client sends (see
	// WithMaxMessageBytes): 8 MiB, the default --max_message_bytes of
	// tagwired.
	DefaultMaxMessageBytes = 8 << 20
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

// transportSecurity is how the client protects its connections.
type transportSecurity int

const (
	// transportLocal is plaintext, but only to a loopback or Unix socket
	// peer (the default).
	transportLocal transportSecurity = iota
	// transportInsecure is plaintext to any peer (WithInsecure).
	transportInsecure
	// transportTLS is TLS (WithTLS).
	transportTLS
)

// config collects the Options of one NewClient call.
type config struct {
	token           string
	transport       transportSecurity
	tlsConfig       *tls.Config // for transportTLS; nil means the system roots
	timeout         time.Duration
	maxMessageBytes int
	dialOptions     []grpc.DialOption
}

// WithToken makes the client send "authorization: Bearer <token>" metadata
// on every call, as a server started with --token_file requires. Without
// WithTLS the token travels in plaintext, which the default transport
// allows only to a server on the same machine (loopback or a Unix socket);
// WithInsecure lifts that limit, and with it the token's protection.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithTLS makes the client connect over TLS with the given configuration. A
// nil config verifies the server against the system's root certificates;
// set RootCAs for a private CA and Certificates for mTLS.
func WithTLS(tlsConfig *tls.Config) Option {
	return func(c *config) {
		c.transport = transportTLS
		c.tlsConfig = tlsConfig
	}
}

// WithInsecure makes the client connect over plaintext HTTP/2 to any
// address, undoing an earlier WithTLS. Everything, the token included, then
// crosses the network unprotected, so it is meant for a trusted network
// only, with a tagwired started with --allow_insecure_remote.
//
// Without WithTLS or WithInsecure the client uses plaintext only to a
// server on the same machine (a loopback address or a Unix socket) and
// refuses to connect anywhere else, failing calls with codes.Unavailable:
// the same rule tagwired follows for the addresses it listens on.
func WithInsecure() Option {
	return func(c *config) {
		c.transport = transportInsecure
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

// WithMaxMessageBytes sets the largest request the client sends, which
// should be the server's --max_message_bytes (the default,
// DefaultMaxMessageBytes, is the server's default). The server ends a call
// that brings a larger message with codes.ResourceExhausted: for a stream,
// that would lose every article in flight. So the client refuses such an
// article itself, without sending it, with an *ArticleError of reason
// ERROR_REASON_ARTICLE_TOO_LARGE and code codes.InvalidArgument: Tag
// returns it, and a stream delivers it as the article's Result, in its
// place among the others, and goes on. Zero or a negative n disables the
// check.
//
// Articles above the server's --max_article_bytes (1 MiB by default) but
// below this limit are sent, and the server answers them with the same
// reason.
func WithMaxMessageBytes(n int) Option {
	return func(c *config) { c.maxMessageBytes = n }
}

// WithDialOptions passes extra options to grpc.NewClient, after the ones this
// package sets, so they win where gRPC lets the last option win: transport
// credentials, keepalive, user agent, and call options such as a different
// grpc.MaxCallRecvMsgSize.
//
// Interceptors are added, not substituted: the client's own unary
// interceptor, which gives calls the default deadline (see WithTimeout),
// stays in the chain. One set with grpc.WithUnaryInterceptor runs before it
// (and so sees a context without the default deadline); those added with
// grpc.WithChainUnaryInterceptor run after it, in order.
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
// returns false so that a token can be used with a plaintext server on the
// same machine; the transport (see WithInsecure) decides where plaintext
// may go.
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

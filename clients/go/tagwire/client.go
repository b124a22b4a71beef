package tagwire

import (
	"context"
	"crypto/tls"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/credentials/local"

	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// A Client talks to one tagwired (or a set behind one target name). It is
// safe for concurrent use by multiple goroutines; create one per server and
// share it, since it holds a connection pool.
type Client struct {
	conn            *grpc.ClientConn
	maxMessageBytes int // see WithMaxMessageBytes; <= 0: no limit
	tagging         tagwirev1.TaggingServiceClient
	subscriptions   tagwirev1.SubscriptionServiceClient
	admin           tagwirev1.AdminServiceClient
}

// NewClient returns a client for the tagwired at target, e.g.
// "127.0.0.1:50051" or "dns:///tagwire.internal:443", configured by opts.
//
// Like grpc.NewClient, which it wraps, it performs no I/O: the connection is
// made on the first call, and connection problems are reported by the calls.
// That is why it takes no context. It fails only on invalid options. Close
// the client when done with it.
//
// By default the client uses plaintext, but only to a server on the same
// machine (a loopback address or a Unix socket: gRPC's local credentials),
// and fails calls to any other address with codes.Unavailable; WithTLS
// connects over TLS, WithInsecure over plaintext anywhere. It sends no
// token, gives unary calls a deadline of DefaultTimeout, accepts responses
// up to DefaultMaxReceiveBytes, refuses to send requests over
// DefaultMaxMessageBytes, and retries Tag, GetTaxonomy and GetServerStats
// up to 5 attempts with exponential backoff (0.1 s to 2 s) when the server
// answers UNAVAILABLE.
func NewClient(target string, opts ...Option) (*Client, error) {
	cfg := config{timeout: DefaultTimeout, maxMessageBytes: DefaultMaxMessageBytes}
	for _, opt := range opts {
		opt(&cfg)
	}

	var transport credentials.TransportCredentials
	switch cfg.transport {
	case transportLocal:
		transport = local.NewCredentials()
	case transportInsecure:
		transport = insecure.NewCredentials()
	case transportTLS:
		tlsConfig := cfg.tlsConfig
		if tlsConfig == nil {
			tlsConfig = &tls.Config{} // the system roots
		}
		transport = credentials.NewTLS(tlsConfig)
	}
	dialOptions := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultServiceConfig(retryServiceConfig),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(DefaultMaxReceiveBytes)),
		grpc.WithUserAgent("tagwire-go"),
	}
	if cfg.token != "" {
		dialOptions = append(dialOptions, grpc.WithPerRPCCredentials(bearerToken(cfg.token)))
	}
	if cfg.timeout > 0 {
		dialOptions = append(dialOptions,
			grpc.WithChainUnaryInterceptor(defaultTimeoutInterceptor(cfg.timeout)))
	}
	dialOptions = append(dialOptions, cfg.dialOptions...)

	conn, err := grpc.NewClient(target, dialOptions...)
	if err != nil {
		return nil, err
	}
	return &Client{
		conn:            conn,
		maxMessageBytes: cfg.maxMessageBytes,
		tagging:         tagwirev1.NewTaggingServiceClient(conn),
		subscriptions:   tagwirev1.NewSubscriptionServiceClient(conn),
		admin:           tagwirev1.NewAdminServiceClient(conn),
	}, nil
}

// Close closes the client's connections. Calls and streams still open fail
// with codes.Canceled.
func (c *Client) Close() error {
	return c.conn.Close()
}

// Conn returns the client's gRPC connection, for services this package does
// not wrap (such as grpc.health.v1.Health). It carries the client's options
// (TLS, token, default deadline, retries).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Tagging returns the generated TaggingService stub on the client's
// connection, for callers who want the raw messages.
func (c *Client) Tagging() tagwirev1.TaggingServiceClient { return c.tagging }

// Subscriptions returns the generated SubscriptionService stub on the
// client's connection.
func (c *Client) Subscriptions() tagwirev1.SubscriptionServiceClient { return c.subscriptions }

// Admin returns the generated AdminService stub on the client's connection.
func (c *Client) Admin() tagwirev1.AdminServiceClient { return c.admin }

// Taxonomy describes the taxonomy the server is using. It fails with
// codes.Unavailable while none is loaded yet (after retrying).
func (c *Client) Taxonomy(ctx context.Context) (*tagwirev1.TaxonomyInfo, error) {
	resp, err := c.admin.GetTaxonomy(ctx, &tagwirev1.GetTaxonomyRequest{})
	if err != nil {
		return nil, err
	}
	return resp.GetTaxonomy(), nil
}

// ReloadTaxonomy makes the server reload its taxonomy files, as SIGHUP does.
// On failure the server keeps the old taxonomy and the error is the loader's,
// e.g. codes.InvalidArgument naming the file and line. It is not retried.
func (c *Client) ReloadTaxonomy(ctx context.Context) (*tagwirev1.ReloadTaxonomyResponse, error) {
	return c.admin.ReloadTaxonomy(ctx, &tagwirev1.ReloadTaxonomyRequest{})
}

// Stats returns the server's counters.
func (c *Client) Stats(ctx context.Context) (*tagwirev1.GetServerStatsResponse, error) {
	return c.admin.GetServerStats(ctx, &tagwirev1.GetServerStatsRequest{})
}

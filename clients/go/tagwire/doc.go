// Package tagwire is the Go client of tagwire, the gRPC service that tags
// news articles with the topics, people, organizations and places they
// mention.
//
// It is a thin facade over the generated stubs in package tagwirev1
// (github.com/tagwire/tagwire/clients/go/tagwire/v1), whose messages it
// returns as they are. It adds Go types for what a caller builds (Article,
// Filter, functional options), typed per-article errors (*ArticleError),
// iterators over streams, and connection defaults: plaintext to a server on
// the same machine only (loopback or a Unix socket) unless WithTLS or
// WithInsecure is given, a bearer token with WithToken, a default deadline on
// unary calls, a client-side check of the request size against the server's
// limit (WithMaxMessageBytes), and retries of the idempotent calls on
// codes.Unavailable.
//
// One article:
//
//	client, err := tagwire.NewClient("127.0.0.1:50051")
//	if err != nil {
//		return err
//	}
//	defer client.Close()
//
//	body := "NATO ministers met in Kyiv on Tuesday."
//	tagged, err := client.Tag(ctx, tagwire.Article{ID: "a1", Body: body})
//	var articleErr *tagwire.ArticleError
//	if errors.As(err, &articleErr) {
//		return fmt.Errorf("article refused (%v): %s", articleErr.Reason, articleErr.Message)
//	} else if err != nil {
//		return err // a gRPC status error: status.Code(err)
//	}
//	for _, tag := range tagged.GetTags() {
//		for _, m := range tag.GetMentions() {
//			fmt.Println(tag.GetConceptId(), body[m.GetByteStart():m.GetByteEnd()])
//		}
//	}
//
// A feed, on one stream, with backpressure:
//
//	next := 0 // the index of the first article without a result
//	for result, err := range client.TagAll(ctx, articles) {
//		if err != nil {
//			return fmt.Errorf("articles %d and on not tagged: %w", next, err)
//		}
//		next = int(result.Sequence) + 1
//		if err := result.Err(); err != nil {
//			log.Printf("%s: %v", result.ID, err) // the stream goes on
//			continue
//		}
//		store(result.Tagged)
//	}
//
// Offsets in Mention are bytes of the UTF-8 text, which is how Go indexes
// strings. Every method that takes a context.Context honours its deadline
// and cancellation; all errors other than *ArticleError are the gRPC status
// errors, so status.Code(err) classifies them.
package tagwire

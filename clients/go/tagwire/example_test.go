package tagwire_test

// These examples need a running tagwired, so they have no "Output:" lines:
// go test compiles them but does not run them.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

func ExampleNewClient() {
	// A server on this machine: plaintext (the default, refused to any
	// other machine) with a token.
	local, err := tagwire.NewClient("127.0.0.1:50051", tagwire.WithToken(os.Getenv("TAGWIRE_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()

	// A remote server: TLS with a private CA.
	pem, err := os.ReadFile("ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	remote, err := tagwire.NewClient("dns:///tagwire.example.internal:443",
		tagwire.WithTLS(&tls.Config{RootCAs: roots}))
	if err != nil {
		log.Fatal(err)
	}
	defer remote.Close()
}

func ExampleClient_Tag() {
	client, err := tagwire.NewClient("127.0.0.1:50051")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	article := tagwire.Article{Source: "wire", ID: "a1", Body: "NATO ministers met in Kyiv on Tuesday."}
	tagged, err := client.Tag(context.Background(), article,
		tagwire.WithKinds(tagwirev1.ConceptKind_CONCEPT_KIND_LOCATION))
	var articleErr *tagwire.ArticleError
	switch {
	case errors.As(err, &articleErr):
		log.Printf("article %s refused: %v", articleErr.ID, articleErr.Reason)
		return
	case status.Code(err) == codes.ResourceExhausted:
		log.Print("server busy (too many Tag calls in flight); retry later")
		return
	case err != nil:
		log.Fatal(err)
	}
	for _, tag := range tagged.GetTags() {
		for _, m := range tag.GetMentions() {
			// Offsets are bytes: they slice Go strings directly.
			fmt.Printf("%s %q at %d\n", tag.GetConceptId(), article.Body[m.GetByteStart():m.GetByteEnd()],
				m.GetByteStart())
		}
	}
}

func ExampleClient_TagAll() {
	client, err := tagwire.NewClient("127.0.0.1:50051")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// Any iter.Seq[Article] will do; it is read only as fast as the server
	// takes articles.
	articles := slices.Values([]tagwire.Article{
		{ID: "a1", Body: "The European Central Bank kept rates unchanged in Frankfurt."},
		{ID: "a2", Body: ""}, // refused: EMPTY_BODY, and the stream goes on
	})
	// Options given here apply to every article of the stream.
	for result, err := range client.TagAll(context.Background(), articles, tagwire.WithoutMentions()) {
		if err != nil {
			log.Fatal(err) // the stream failed; later articles were not tagged
		}
		if result.Failure != nil {
			fmt.Println(result.Sequence, result.ID, "refused:", result.Failure.Reason)
			continue
		}
		fmt.Println(result.Sequence, result.ID, len(result.Tagged.GetTags()), "tags")
	}
}

func ExampleClient_TagStream() {
	client, err := tagwire.NewClient("127.0.0.1:50051")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // abandons the stream if we return early

	stream, err := client.TagStream(ctx, tagwire.WithMinScore(0.3))
	if err != nil {
		log.Fatal(err)
	}
	// One goroutine sends, another receives: the server answers only while
	// its results are read.
	go func() {
		for i := range 100 {
			article := tagwire.Article{ID: fmt.Sprint(i), Body: "Emmanuel Macron spoke in Paris."}
			if err := stream.Send(article); err != nil {
				return // io.EOF: the stream ended; Recv says why
			}
		}
		stream.CloseSend()
	}()
	for {
		result, err := stream.Recv()
		if err == io.EOF {
			break // every article answered
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(result.Sequence, result.ID, result.Err()) // Err is nil if tagged
	}
}

func ExampleClient_Subscribe() {
	client, err := tagwire.NewClient("127.0.0.1:50051")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	subscription, err := client.Subscribe(context.Background(), tagwire.Filter{
		Kinds: []tagwirev1.ConceptKind{tagwirev1.ConceptKind_CONCEPT_KIND_PERSON},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer subscription.Close()
	for tagged, err := range subscription.All() {
		if err != nil {
			log.Fatal(err) // e.g. codes.ResourceExhausted: we fell behind
		}
		fmt.Println(tagged.GetSource(), tagged.GetId())
	}
}

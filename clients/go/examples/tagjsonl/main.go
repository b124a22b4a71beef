// Command tagjsonl tags the articles of a JSONL file with a running tagwired,
// on one TagStream, and prints one line per article.
//
// Usage:
//
//	tagjsonl [-target host:port] [-token-file FILE] [-ca FILE] [-kind KIND,...] [-min-score S] [FILE]
//
// FILE (standard input when absent or "-") holds one article per line, in the
// format of the C++ `tagwire tag` command:
//
//	{"id": "a1", "source": "wire", "version": 1, "title": "…", "body": "…",
//	 "language": "en", "published_time": "2026-11-23T15:00:00Z", "metadata": {"desk": "world"}}
//
// Title and body are plain JSON strings. Blank lines are skipped.
//
// Output, one line per article in input order, fields separated by tabs:
//
//	a1	org:nato "NATO" 0.8121	geo:703448 "Kyiv" 0.6034
//	a2	error BODY_NOT_UTF8: body is not valid UTF-8 (first bad byte at offset 3)
//
// that is, the id, then each tag as concept id, quoted name and score, by
// descending score; or "error", the reason and the server's message.
//
// Flags: -target is the server address (default 127.0.0.1:50051); -token-file
// names a file holding the bearer token (surrounding whitespace is ignored);
// -ca names a PEM file of CA certificates and switches to TLS (without it the
// connection is plaintext, for a server on loopback); -kind keeps only tags
// of the given kinds (PERSON, ORGANIZATION, LOCATION, TOPIC, OTHER,
// comma-separated); -min-score drops tags scoring less.
//
// Exit status: 0 if every article was tagged; 2 if any article was refused
// by the server or any input line could not be parsed (reported on standard
// error as "line N: …" and skipped); 1 on a usage error or when the stream
// fails (connection, authentication, server shutdown), in which case the
// articles after the last printed line were not tagged.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1 // usage error or stream failure
	exitBadArticles = 2 // some articles were refused or unparsable
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, with its environment passed in so that tests
// can call it. It returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("tagjsonl", flag.ContinueOnError)
	flags.SetOutput(stderr)
	target := flags.String("target", "127.0.0.1:50051", "tagwired address, host:port")
	tokenFile := flags.String("token-file", "", "file holding the bearer token")
	caFile := flags.String("ca", "", "PEM CA certificates; connects over TLS")
	kinds := flags.String("kind", "", "keep only tags of these kinds, comma-separated (PERSON,LOCATION…)")
	minScore := flags.Float64("min-score", 0, "drop tags scoring less, in [0, 1]")
	if err := flags.Parse(args); err != nil {
		return exitFailure
	}
	if flags.NArg() > 1 {
		fmt.Fprintln(stderr, "tagjsonl: at most one FILE")
		return exitFailure
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tagjsonl: %v\n", err)
		return exitFailure
	}

	var clientOptions []tagwire.Option
	if *tokenFile != "" {
		token, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fail(err)
		}
		clientOptions = append(clientOptions, tagwire.WithToken(strings.TrimSpace(string(token))))
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fail(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fail(fmt.Errorf("%s: no PEM certificates", *caFile))
		}
		clientOptions = append(clientOptions, tagwire.WithTLS(&tls.Config{RootCAs: roots}))
	}
	var tagOptions []tagwire.TagOption
	if *kinds != "" {
		var wanted []tagwirev1.ConceptKind
		for _, name := range strings.Split(*kinds, ",") {
			name = strings.ToUpper(strings.TrimSpace(name))
			kind, ok := tagwirev1.ConceptKind_value["CONCEPT_KIND_"+strings.TrimPrefix(name, "CONCEPT_KIND_")]
			if !ok || kind == 0 {
				return fail(fmt.Errorf("-kind: unknown kind %q", name))
			}
			wanted = append(wanted, tagwirev1.ConceptKind(kind))
		}
		tagOptions = append(tagOptions, tagwire.WithKinds(wanted...))
	}
	if *minScore != 0 {
		tagOptions = append(tagOptions, tagwire.WithMinScore(*minScore))
	}

	input := stdin
	if name := flags.Arg(0); name != "" && name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return fail(err)
		}
		defer file.Close()
		input = file
	}

	client, err := tagwire.NewClient(*target, clientOptions...)
	if err != nil {
		return fail(err)
	}
	defer client.Close()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	badInput := false
	articles := readArticles(input, func(line int, err error) {
		fmt.Fprintf(stderr, "tagjsonl: line %d: %v\n", line, err)
		badInput = true
	})
	status := exitOK
	for result, err := range client.TagAll(ctx, articles, tagOptions...) {
		if err != nil {
			out.Flush()
			return fail(err)
		}
		if result.Err != nil {
			status = exitBadArticles
			fmt.Fprintf(out, "%s\terror %s: %s\n", result.ID,
				strings.TrimPrefix(result.Err.Reason.String(), "ERROR_REASON_"), result.Err.Message)
			continue
		}
		fields := []string{result.ID}
		for _, tag := range result.Tagged.GetTags() {
			fields = append(fields, fmt.Sprintf("%s %q %.4f", tag.GetConceptId(), tag.GetName(), tag.GetScore()))
		}
		fmt.Fprintln(out, strings.Join(fields, "\t"))
	}
	if badInput {
		status = exitBadArticles
	}
	return status
}

// jsonArticle is one input line. Version is an integer, or a string as the
// proto3 JSON mapping prints int64.
type jsonArticle struct {
	ID                string            `json:"id"`
	Source            string            `json:"source"`
	Version           json.Number       `json:"version"`
	Title             string            `json:"title"`
	Body              string            `json:"body"`
	Language          string            `json:"language"`
	PublishedTime     string            `json:"published_time"`
	PublishedTimeJSON string            `json:"publishedTime"`
	Metadata          map[string]string `json:"metadata"`
}

// readArticles returns the articles of the JSONL input, read one line at a
// time as the stream asks for them. A line that cannot be parsed is passed
// to onError, with its 1-based number, and skipped.
func readArticles(input io.Reader, onError func(line int, err error)) iter.Seq[tagwire.Article] {
	return func(yield func(tagwire.Article) bool) {
		reader := bufio.NewReaderSize(input, 1<<20)
		for number := 1; ; number++ {
			line, err := reader.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				article, parseErr := parseArticle(line)
				if parseErr != nil {
					onError(number, parseErr)
				} else if !yield(article) {
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					onError(number, err)
				}
				return
			}
		}
	}
}

// parseArticle parses one JSON article line.
func parseArticle(line []byte) (tagwire.Article, error) {
	line = bytes.TrimSpace(line)
	if !bytes.HasPrefix(line, []byte("{")) {
		return tagwire.Article{}, errors.New("an article line must be a JSON object")
	}
	decoder := json.NewDecoder(bytes.NewReader(line))
	decoder.DisallowUnknownFields()
	decoder.UseNumber()
	var in jsonArticle
	if err := decoder.Decode(&in); err != nil {
		return tagwire.Article{}, err
	}
	if decoder.More() {
		return tagwire.Article{}, errors.New("data after the JSON object")
	}
	article := tagwire.Article{
		ID: in.ID, Source: in.Source, Title: in.Title, Body: in.Body,
		Language: in.Language, Metadata: in.Metadata,
	}
	if in.Version != "" {
		version, err := strconv.ParseInt(string(in.Version), 10, 64)
		if err != nil {
			return tagwire.Article{}, fmt.Errorf("'version' must be an integer, not %s", in.Version)
		}
		article.Version = version
	}
	if published := in.PublishedTime + in.PublishedTimeJSON; published != "" {
		t, err := time.Parse(time.RFC3339Nano, published)
		if err != nil {
			return tagwire.Article{}, fmt.Errorf("'published_time' must be an RFC 3339 time: %v", err)
		}
		article.Published = t
	}
	return article, nil
}

// Command tagjsonl tags the articles of a JSONL file with a running tagwired,
// on one TagStream, and prints one line per article.
//
// Usage:
//
//	tagjsonl [-target host:port] [-token-file FILE] [-ca FILE | -insecure] [-kind KIND,...] [-min-score S] [FILE]
//
// FILE (standard input when absent or "-") holds one article per line, in the
// format of the C++ `tagwire tag` command:
//
//	{"id": "a1", "source": "wire", "version": 1, "title": "…", "body": "…",
//	 "language": "en", "published_time": "2026-11-23T15:00:00Z", "metadata": {"desk": "world"}}
//
// Title and body are plain JSON strings. The time may be given as
// "published_time" or "publishedTime", not both. Blank lines are skipped. A
// line that is not valid UTF-8 is refused, as the C++ command does, rather
// than having its bad bytes silently replaced. Lines are read as the stream
// takes articles, so the input may be a pipe that stays open (tail -f).
//
// Output, one line per article in input order, fields separated by tabs,
// written out as soon as the server answers:
//
//	a1	org:nato "NATO" 0.8121	geo:703448 "Kyiv" 0.6034
//	a2	error BODY_NOT_UTF8: body is not valid UTF-8 (first bad byte at offset 3)
//
// that is, the id, then each tag as concept id, quoted name and score, by
// descending score; or "error", the reason and the message. An id or message
// that starts with a double quote or holds a tab, a line break or another
// non-printable character is printed quoted, as by Go's strconv.Quote, so
// that it stays one field.
//
// Flags: -target is the server address (default 127.0.0.1:50051); -token-file
// names a file holding the bearer token (surrounding whitespace is ignored);
// -ca names a PEM file of CA certificates and switches to TLS; without it the
// connection is plaintext and only to a server on this machine, unless
// -insecure allows plaintext to any address (trusted networks only: the
// token is sent in clear); -kind keeps only tags of the given kinds (PERSON,
// ORGANIZATION, LOCATION, TOPIC, OTHER, comma-separated); -min-score drops
// tags scoring less.
//
// Exit status: 0 if every article was tagged; 2 if any article was refused
// (by the server, or by the client as too large to send) or any input line
// could not be parsed (reported on standard error as "line N: …" and
// skipped); 1 on a usage error, when the output cannot be written, or when
// the stream fails (connection, authentication, server shutdown, interrupt),
// in which case the articles after the last printed line were not tagged.
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
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tagwire/tagwire/clients/go/tagwire"
	tagwirev1 "github.com/tagwire/tagwire/clients/go/tagwire/v1"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1 // usage error, output error or stream failure
	exitBadArticles = 2 // some articles were refused or unparsable
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, with its environment passed in so that tests
// can call it. It returns the exit status, and writes nothing more to
// stdout or stderr once it has returned.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Cancelled on return: stops the input goroutines, which may outlive an
	// iteration that ended early (see tagwire.Client.TagAll).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Input errors are reported from the goroutine that reads the input,
	// the rest from this one.
	errorLog := &lockedWriter{w: stderr}
	defer errorLog.close()

	flags := flag.NewFlagSet("tagjsonl", flag.ContinueOnError)
	flags.SetOutput(errorLog)
	target := flags.String("target", "127.0.0.1:50051", "tagwired address, host:port")
	tokenFile := flags.String("token-file", "", "file holding the bearer token")
	caFile := flags.String("ca", "", "PEM CA certificates; connects over TLS")
	insecure := flags.Bool("insecure", false, "plaintext to a server on another machine (trusted networks only)")
	kinds := flags.String("kind", "", "keep only tags of these kinds, comma-separated (PERSON,LOCATION…)")
	minScore := flags.Float64("min-score", 0, "drop tags scoring less, in [0, 1]")
	if err := flags.Parse(args); err != nil {
		return exitFailure
	}
	fail := func(err error) int {
		fmt.Fprintf(errorLog, "tagjsonl: %v\n", err)
		return exitFailure
	}
	if flags.NArg() > 1 {
		return fail(errors.New("at most one FILE"))
	}
	if *caFile != "" && *insecure {
		return fail(errors.New("-ca and -insecure exclude each other"))
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
	if *insecure {
		clientOptions = append(clientOptions, tagwire.WithInsecure())
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
	var badInput atomic.Bool
	articles := readArticles(ctx, input, func(line int, err error) {
		fmt.Fprintf(errorLog, "tagjsonl: line %d: %v\n", line, err)
		badInput.Store(true)
	})
	status := exitOK
	for result, err := range client.TagAll(ctx, articles, tagOptions...) {
		if err != nil {
			out.Flush() // what was printed is what was tagged
			return fail(err)
		}
		if result.Failure != nil {
			status = exitBadArticles
			fmt.Fprintf(out, "%s\terror %s: %s\n", field(result.ID),
				strings.TrimPrefix(result.Failure.Reason.String(), "ERROR_REASON_"),
				field(result.Failure.Message))
		} else {
			fields := []string{field(result.ID)}
			for _, tag := range result.Tagged.GetTags() {
				fields = append(fields, fmt.Sprintf("%s %q %.4f", tag.GetConceptId(), tag.GetName(), tag.GetScore()))
			}
			fmt.Fprintln(out, strings.Join(fields, "\t"))
		}
		// Each line goes out at once, for a reader at the other end of a
		// pipe that stays open; bufio still makes it one write.
		if err := out.Flush(); err != nil {
			return fail(fmt.Errorf("writing the output: %w", err))
		}
	}
	if badInput.Load() {
		status = exitBadArticles
	}
	return status
}

// field returns s as one output field: as it is, or quoted as by
// strconv.Quote if it starts with a double quote or holds a tab, a line
// break or another non-printable character.
func field(s string) string {
	if strings.HasPrefix(s, `"`) || strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// A lockedWriter serializes the writes of several goroutines to w, and drops
// those that come after close.
type lockedWriter struct {
	mu     sync.Mutex
	w      io.Writer // guarded by mu
	closed bool      // guarded by mu
}

// Write writes p to w, unless the writer is closed.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return len(p), nil
	}
	return l.w.Write(p)
}

// close makes later writes do nothing.
func (l *lockedWriter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}

// jsonArticle is one input line. Version is an integer, or a string as the
// proto3 JSON mapping prints int64. The time has two names, as in the proto3
// JSON mapping; pointers tell which one was given.
type jsonArticle struct {
	ID                string            `json:"id"`
	Source            string            `json:"source"`
	Version           json.Number       `json:"version"`
	Title             string            `json:"title"`
	Body              string            `json:"body"`
	Language          string            `json:"language"`
	PublishedTime     *string           `json:"published_time"`
	PublishedTimeJSON *string           `json:"publishedTime"`
	Metadata          map[string]string `json:"metadata"`
}

// An inputLine is one non-blank line of the input, or the error that ended
// the input.
type inputLine struct {
	number int // 1-based
	text   []byte
	err    error
}

// readArticles returns the articles of the JSONL input, read one line at a
// time as the stream asks for them. A line that cannot be parsed is passed
// to onError, with its 1-based number, and skipped.
//
// The lines are read on a goroutine of their own, so that the sequence
// returns when ctx ends even while the input has nothing to read (an idle
// pipe or terminal). That goroutine stops at its next line, or at the end
// of the input, after ctx has ended.
func readArticles(ctx context.Context, input io.Reader, onError func(line int, err error)) iter.Seq[tagwire.Article] {
	return func(yield func(tagwire.Article) bool) {
		lines := make(chan inputLine)
		go readLines(ctx, input, lines)
		for {
			var line inputLine
			select {
			case next, ok := <-lines:
				if !ok {
					return
				}
				line = next
			case <-ctx.Done():
				return
			}
			if line.err != nil {
				onError(line.number, line.err)
				continue
			}
			article, err := parseArticle(line.text)
			if err != nil {
				onError(line.number, err)
				continue
			}
			if !yield(article) {
				return
			}
		}
	}
}

// readLines sends the non-blank lines of input to lines, then a read error
// if any, and closes lines at the end of the input or when ctx ends.
func readLines(ctx context.Context, input io.Reader, lines chan<- inputLine) {
	defer close(lines)
	send := func(line inputLine) bool {
		select {
		case lines <- line:
			return true
		case <-ctx.Done():
			return false
		}
	}
	reader := bufio.NewReaderSize(input, 1<<20)
	for number := 1; ; number++ {
		text, err := reader.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 && !send(inputLine{number: number, text: text}) {
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				send(inputLine{number: number, err: err})
			}
			return
		}
	}
}

// parseArticle parses one JSON article line.
func parseArticle(line []byte) (tagwire.Article, error) {
	line = bytes.TrimSpace(line)
	// encoding/json would replace invalid bytes with U+FFFD and tag an
	// article that is not the one in the file.
	if !utf8.Valid(line) {
		return tagwire.Article{}, errors.New("not valid UTF-8")
	}
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
	published, key := in.PublishedTime, "published_time"
	if in.PublishedTimeJSON != nil {
		if published != nil {
			return tagwire.Article{}, errors.New("both 'published_time' and 'publishedTime' given; give one")
		}
		published, key = in.PublishedTimeJSON, "publishedTime"
	}
	if published != nil && *published != "" {
		t, err := time.Parse(time.RFC3339Nano, *published)
		if err != nil {
			return tagwire.Article{}, fmt.Errorf("'%s' must be an RFC 3339 time: %v", key, err)
		}
		article.Published = t
	}
	return article, nil
}

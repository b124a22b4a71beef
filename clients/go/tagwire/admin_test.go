package tagwire_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tagwire/tagwire/clients/go/internal/testserver"
	"github.com/tagwire/tagwire/clients/go/tagwire"
)

// starterConcepts is the number of concepts in data/starter.jsonl.
const starterConcepts = 220

var taxonomyVersion = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestAdmin(t *testing.T) {
	if os.Getenv("TAGWIRE_TAXONOMY") != "" {
		t.Log("TAGWIRE_TAXONOMY is set: the concept counts below assume the starter taxonomy")
	}
	client := newClient(t, server.Addr)
	ctx := testContext(t)

	info, err := client.Taxonomy(ctx)
	if err != nil {
		t.Fatalf("Taxonomy: %v", err)
	}
	if info.GetConceptCount() != starterConcepts || !taxonomyVersion.MatchString(info.GetVersion()) {
		t.Errorf("taxonomy has %d concepts, version %q; want %d and 16 hex digits",
			info.GetConceptCount(), info.GetVersion(), starterConcepts)
	}
	var byKind uint32
	for _, n := range info.GetConceptsByKind() {
		byKind += n
	}
	if byKind != info.GetConceptCount() || info.GetConceptsByKind()["LOCATION"] == 0 {
		t.Errorf("concepts by kind %v do not add up to %d", info.GetConceptsByKind(), info.GetConceptCount())
	}
	if files := info.GetSourceFiles(); len(files) != 1 || filepath.Base(files[0]) != "starter.jsonl" {
		t.Errorf("source files %v, want the starter taxonomy", files)
	}

	before, err := client.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if before.GetUptime().AsDuration() <= 0 || before.GetWorkerThreads() == 0 ||
		before.GetTaxonomyVersion() != info.GetVersion() {
		t.Errorf("stats: uptime %v, %d workers, taxonomy %q (want %q)", before.GetUptime().AsDuration(),
			before.GetWorkerThreads(), before.GetTaxonomyVersion(), info.GetVersion())
	}
	if _, err := client.Tag(ctx, tagwire.Article{ID: "admin-1", Body: "NATO met."}); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if _, err := client.Tag(ctx, tagwire.Article{ID: "admin-2"}); err == nil {
		t.Fatal("Tag of an empty article succeeded")
	}
	after := stats(t, client)
	if after.GetArticlesTagged() != before.GetArticlesTagged()+1 ||
		after.GetArticlesFailed() != before.GetArticlesFailed()+1 ||
		after.GetFailuresByReason()["EMPTY_BODY"] != before.GetFailuresByReason()["EMPTY_BODY"]+1 {
		t.Errorf("after one tagged and one empty article: tagged %d→%d, failed %d→%d, by reason %v",
			before.GetArticlesTagged(), after.GetArticlesTagged(), before.GetArticlesFailed(),
			after.GetArticlesFailed(), after.GetFailuresByReason())
	}

	// Reloading unchanged files changes nothing but the counter.
	reload, err := client.ReloadTaxonomy(ctx)
	if err != nil {
		t.Fatalf("ReloadTaxonomy: %v", err)
	}
	if reload.GetChanged() || reload.GetPreviousVersion() != info.GetVersion() ||
		reload.GetTaxonomy().GetVersion() != info.GetVersion() ||
		reload.GetTaxonomy().GetConceptCount() != starterConcepts {
		t.Errorf("reload of unchanged files: %v", reload)
	}
	if reloads := stats(t, client).GetReloads(); reloads != after.GetReloads()+1 {
		t.Errorf("reloads %d after one reload, were %d", reloads, after.GetReloads())
	}
}

// TestReloadTaxonomy edits the taxonomy of a dedicated server: a reload
// picks up a new concept, and a broken file fails the reload with
// InvalidArgument while the old taxonomy stays in use.
func TestReloadTaxonomy(t *testing.T) {
	original, err := testserver.Taxonomy()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(original)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "taxonomy.jsonl")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--taxonomy="+file)
	client := newClient(t, s.Addr)
	ctx := testContext(t)
	before, err := client.Taxonomy(ctx)
	if err != nil {
		t.Fatalf("Taxonomy: %v", err)
	}
	article := tagwire.Article{ID: "r1", Body: "The Quuxian Guild met today."}

	added := string(data) + `{"id": "org:quuxian-guild", "kind": "ORGANIZATION", "name": "Quuxian Guild"}` + "\n"
	if err := os.WriteFile(file, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	reload, err := client.ReloadTaxonomy(ctx)
	if err != nil {
		t.Fatalf("ReloadTaxonomy: %v", err)
	}
	if !reload.GetChanged() || reload.GetPreviousVersion() != before.GetVersion() ||
		reload.GetTaxonomy().GetConceptCount() != before.GetConceptCount()+1 {
		t.Errorf("reload after adding a concept: %v", reload)
	}
	tagged, err := client.Tag(ctx, article)
	if err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if missing := missingTags(tagged, "org:quuxian-guild"); len(missing) > 0 ||
		tagged.GetTaxonomyVersion() != reload.GetTaxonomy().GetVersion() {
		t.Errorf("after the reload: tags %v, taxonomy %q", tagIDs(tagged), tagged.GetTaxonomyVersion())
	}

	if err := os.WriteFile(file, []byte(added+"{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ReloadTaxonomy(ctx); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "taxonomy.jsonl") {
		t.Errorf("reload of a broken file: %v, want InvalidArgument naming the file", err)
	}
	info, err := client.Taxonomy(ctx)
	if err != nil || info.GetVersion() != reload.GetTaxonomy().GetVersion() {
		t.Errorf("after a failed reload the taxonomy is %v (%v), want the previous one kept", info, err)
	}
	if failed := stats(t, client).GetFailedReloads(); failed != 1 {
		t.Errorf("failed reloads %d, want 1", failed)
	}
}

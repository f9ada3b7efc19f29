package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	"github.com/gaoxing-gov/gaoxing/services/documents"
)

// objectScripts is where the chart keeps the scripts of its object-store Job.
var objectScripts = filepath.Join("..", "..", "charts", "gaoxing", "files", "minio")

const (
	bucket        = "gaoxing-documents"
	serviceUser   = "gaoxing-documents"
	replicaBucket = "gaoxing-documents-replica"
)

// objectStore is one MinIO server as the chart's Job leaves it: provisioned by
// provision.sh, with the secret keys the release's Secret would hold.
type objectStore struct {
	*testenv.MinIO
	secrets string // the Secret's files: service-secret-key, <tier user>-secret-key
}

func newObjectStore(t *testing.T, tierUsers ...string) *objectStore {
	t.Helper()
	s := &objectStore{MinIO: testenv.StartMinIO(t), secrets: t.TempDir()}
	s.setKey(t, "service", rand.Text())
	for _, u := range tierUsers {
		s.setKey(t, u, rand.Text())
	}
	return s
}

func (s *objectStore) setKey(t *testing.T, user, key string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(s.secrets, user+"-secret-key"), []byte(key), 0o600))
}

func (s *objectStore) key(t *testing.T, user string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.secrets, user+"-secret-key"))
	require.NoError(t, err)
	return string(b)
}

// provision runs provision.sh against the store as its root user.
func (s *objectStore) provision(t *testing.T, tierUsers []string, extra ...string) string {
	t.Helper()
	return runScript(t, filepath.Join(objectScripts, "provision.sh"), nil, append([]string{
		"ENDPOINT=http://" + s.Endpoint, "ROOT_USER=" + s.AccessKey, "ROOT_PASSWORD=" + s.SecretKey,
		"BUCKET=" + bucket, "SERVICE_USER=" + serviceUser, "TIER_USERS=" + strings.Join(tierUsers, " "),
		"SECRETS=" + s.secrets,
	}, extra...)...)
}

// as is an S3 client of the store signed as user.
func (s *objectStore) as(t *testing.T, user, key string) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(user, key, "")})
	require.NoError(t, err)
	return c
}

// s3Code is the S3 error code of err ("" for none).
func s3Code(err error) string { return minio.ToErrorResponse(err).Code }

// TestObjectStoreLeastPrivilege: the users provision.sh makes — this release's services'
// and a tier's — do with the documents bucket what the documents service does (versions,
// retention, legal holds, the orphan sweep's removal) and nothing else: no other bucket,
// no bucket configuration or deletion, no listing of the store, no lifting of COMPLIANCE
// retention. Running it again changes nothing but a rotated key.
func TestObjectStoreLeastPrivilege(t *testing.T) {
	ctx := t.Context()
	tiers := []string{"gaoxing-street"}
	s := newObjectStore(t, tiers...)
	out := s.provision(t, tiers)
	require.Contains(t, out, "bucket "+bucket+" ready (object lock)")
	require.Contains(t, out, "user gaoxing-street: policy "+bucket+"-objects")
	require.Contains(t, s.provision(t, tiers), "user "+serviceUser+": policy", "a second run succeeds")

	root := s.Client()
	require.NoError(t, root.MakeBucket(ctx, "other", minio.MakeBucketOptions{}))
	_, err := root.PutObject(ctx, "other", "x", strings.NewReader("secret"), 6, minio.PutObjectOptions{})
	require.NoError(t, err)

	for _, u := range []struct{ name, key string }{{serviceUser, s.key(t, "service")}, {"gaoxing-street", s.key(t, "gaoxing-street")}} {
		t.Run(u.name, func(t *testing.T) {
			c := s.as(t, u.name, u.key)
			ok, err := c.BucketExists(ctx, bucket)
			require.NoError(t, err)
			require.True(t, ok)

			// What the documents service does.
			retain := time.Now().Add(24 * time.Hour)
			info, err := c.PutObject(ctx, bucket, "tenants/ahz.s01/documents/d1", strings.NewReader("%PDF-1.7"), 8,
				minio.PutObjectOptions{Mode: minio.Governance, RetainUntilDate: retain, LegalHold: minio.LegalHoldEnabled})
			require.NoError(t, err)
			require.NotEmpty(t, info.VersionID, "the bucket keeps versions")
			obj, err := c.GetObject(ctx, bucket, info.Key, minio.GetObjectOptions{VersionID: info.VersionID})
			require.NoError(t, err)
			b, err := io.ReadAll(obj)
			require.NoError(t, err)
			require.Equal(t, "%PDF-1.7", string(b))
			off := minio.LegalHoldDisabled
			require.NoError(t, c.PutObjectLegalHold(ctx, bucket, info.Key, minio.PutObjectLegalHoldOptions{VersionID: info.VersionID, Status: &off}))
			for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "tenants/", Recursive: true, WithVersions: true}) {
				require.NoError(t, o.Err)
			}
			for u := range c.ListIncompleteUploads(ctx, bucket, "tenants/", true) {
				require.NoError(t, u.Err, "the orphan sweep lists abandoned uploads")
			}
			require.NoError(t, c.RemoveObject(ctx, bucket, info.Key, minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true}),
				"the orphan sweep lifts GOVERNANCE retention")
			kept, err := c.PutObject(ctx, bucket, "tenants/ahz/cases/f1", strings.NewReader("case"), 4,
				minio.PutObjectOptions{Mode: minio.Compliance, RetainUntilDate: retain})
			require.NoError(t, err)
			require.Error(t, c.RemoveObject(ctx, bucket, kept.Key, minio.RemoveObjectOptions{VersionID: kept.VersionID, GovernanceBypass: true}),
				"COMPLIANCE retention holds against the service")

			// What it must not.
			buckets, err := c.ListBuckets(ctx)
			require.NoError(t, err)
			require.Len(t, buckets, 1, "the store lists only the bucket the user reaches")
			require.Equal(t, bucket, buckets[0].Name)
			denied := map[string]error{}
			denied["MakeBucket"] = c.MakeBucket(ctx, "gaoxing-new", minio.MakeBucketOptions{})
			denied["RemoveBucket"] = c.RemoveBucket(ctx, bucket)
			denied["SetBucketPolicy"] = c.SetBucketPolicy(ctx, bucket, `{"Version":"2012-10-17","Statement":[]}`)
			denied["SetBucketVersioning"] = c.SuspendVersioning(ctx, bucket)
			denied["SetObjectLockConfig"] = c.SetObjectLockConfig(ctx, bucket, nil, nil, nil)
			denied["RemoveBucketReplication"] = c.RemoveBucketReplication(ctx, bucket)
			_, denied["PutObject other"] = c.PutObject(ctx, "other", "y", strings.NewReader("y"), 1, minio.PutObjectOptions{})
			_, denied["StatObject other"] = c.StatObject(ctx, "other", "x", minio.StatObjectOptions{})
			for op, err := range denied {
				require.Equal(t, "AccessDenied", s3Code(err), "%s: %v", op, err)
			}
		})
	}

	t.Run("a rotated key replaces the old one", func(t *testing.T) {
		old := s.key(t, "gaoxing-street")
		s.setKey(t, "gaoxing-street", rand.Text())
		s.provision(t, tiers)
		_, err := s.as(t, "gaoxing-street", old).BucketExists(ctx, bucket)
		require.Error(t, err)
		ok, err := s.as(t, "gaoxing-street", s.key(t, "gaoxing-street")).BucketExists(ctx, bucket)
		require.NoError(t, err)
		require.True(t, ok)
	})
}

// TestObjectsRestoreFromReplica: the documents service runs as its provisioned user on a
// store that replicates to a second one; while clerks upload, pg-dump.sh backs the
// database up. The first store is then lost: a fresh one is provisioned, restore.sh brings
// the bucket back from the replica, pg-restore.sh the database, and a documents service on
// the two serves every document committed before the backup with its exact bytes, and
// the audit chain verifies.
func TestObjectsRestoreFromReplica(t *testing.T) {
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	dbName := u.Path[1:]

	replica := testenv.StartMinIO(t)
	require.NoError(t, replica.Client().MakeBucket(ctx, replicaBucket, minio.MakeBucketOptions{ObjectLocking: true}))
	replicaCreds := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(replicaCreds, "access-key"), []byte(replica.AccessKey), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(replicaCreds, "secret-key"), []byte(replica.SecretKey), 0o600))
	replicaEnv := []string{"REPLICA_URL=http://" + replica.Endpoint, "REPLICA_BUCKET=" + replicaBucket}

	primary := newObjectStore(t)
	out := primary.provision(t, nil, append(replicaEnv, "REPLICA_CREDENTIALS="+replicaCreds)...)
	require.Contains(t, out, "replication of "+bucket+" to http://"+replica.Endpoint+"/"+replicaBucket+" added")
	require.Contains(t, primary.provision(t, nil, append(replicaEnv, "REPLICA_CREDENTIALS="+replicaCreds)...),
		"replication of "+bucket+" kept")

	svc := startDocuments(t, dsn, primary)

	// The load: three clerks uploading; each acknowledged document is recorded with the
	// checksum the service answered.
	clerks := startLoad(t, 3, func(_ *load[string], w int, n int64) (string, string, bool) {
		body := fmt.Appendf(nil, "%%PDF-1.7\n%% clerk %d upload %d %s\n", w, n, rand.Text())
		d, err := svc.upload(ctx, body)
		if err != nil {
			return "", "", false // the test is ending
		}
		return d.GetName(), d.GetSha256(), true
	})
	before := clerks.ackedAtLeast(t, 40, 2*time.Minute)

	backups := t.TempDir()
	pg := pgEnv(u, backups)
	require.Contains(t, runScript(t, filepath.Join(scripts, "pg-dump.sh"), nil, pg...), "dumped "+dbName)
	clerks.Stop()

	// Replication is asynchronous: the replica holding every version the primary holds
	// is the point up to which a lost primary loses nothing (the backup's recovery point
	// for document bytes).
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		p, r := objectVersions(ctx, t, primary.Client(), bucket), objectVersions(ctx, t, replica.Client(), replicaBucket)
		assert.Subset(c, r, p)
	}, 2*time.Minute, 200*time.Millisecond, "the replica catches up")
	primary.Stop() // the primary site is lost

	fresh := newObjectStore(t)
	fresh.provision(t, nil) // the new release's Job: bucket, users, policy
	out = runScript(t, filepath.Join(objectScripts, "restore.sh"), nil, append(replicaEnv,
		"REPLICA_USER="+replica.AccessKey, "REPLICA_PASSWORD="+replica.SecretKey,
		"ENDPOINT=http://"+fresh.Endpoint, "ROOT_USER="+fresh.AccessKey, "ROOT_PASSWORD="+fresh.SecretKey,
		"BUCKET="+bucket, "TIMEOUT=300")...)
	require.Contains(t, out, "object versions into "+bucket)
	t.Log(strings.TrimSpace(out))

	sets, err := os.ReadDir(backups)
	require.NoError(t, err)
	require.Len(t, sets, 1)
	restored := dbName + "_restored"
	require.Contains(t, runScript(t, filepath.Join(scripts, "pg-restore.sh"), []string{filepath.Join(backups, sets[0].Name())},
		append(pg, "SUFFIX=_restored")...), "restored "+restored)
	ru := *u
	ru.Path = "/" + restored

	after := startDocuments(t, ru.String(), fresh)
	for name, sum := range before {
		got, err := after.download(ctx, name)
		require.NoError(t, err, name)
		h := sha256.Sum256(got)
		require.Equal(t, sum, hex.EncodeToString(h[:]), "%s: the restored bytes differ", name)
	}
	rdb, err := sqlstore.Open(ctx, ru.String(), nil, sqlstore.WithoutMigrating())
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })
	report, err := audit.Verify(ctx, rdb, "ahz.s01")
	require.NoError(t, err)
	require.True(t, report.OK(), "%v", report.Problems)
	t.Logf("%d documents committed before the backup, each restored with its bytes", len(before))
}

// objectVersions lists every "key version" of a bucket, sorted.
func objectVersions(ctx context.Context, t *testing.T, c *minio.Client, bucket string) []string {
	t.Helper()
	var out []string
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return nil
		}
		out = append(out, o.Key+" "+o.VersionID)
	}
	slices.Sort(out)
	return out
}

// documentsClient is a documents service running as the provisioned user of a store,
// and a clerk's token for it.
type documentsClient struct {
	base, token string
	http        *http.Client
}

func startDocuments(t *testing.T, dsn string, s *objectStore) *documentsClient {
	t.Helper()
	env := apptest.New(t, dsn)
	env.MinIO = objstore.Config{Endpoint: s.Endpoint, AccessKey: serviceUser, SecretKey: s.key(t, "service")}
	env.Start(t, documents.New())
	c := &documentsClient{base: env.URL + "/api/documents", http: &http.Client{Timeout: 30 * time.Second},
		token: env.Grant(t, "u-clerk", "window_clerk", "ahz.s01", authn.Staff)}
	return c
}

func (c *documentsClient) do(ctx context.Context, method, url string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

func (c *documentsClient) upload(ctx context.Context, content []byte) (*documentsv1.Document, error) {
	q := url.Values{"filename": {"材料.pdf"}, "owner": {"tenants/ahz.s01/tickets/T-20261204-000001"}}
	b, st, err := c.do(ctx, http.MethodPost, c.base+"/v1/tenants/ahz.s01/documents:upload?"+q.Encode(), content)
	if err != nil {
		return nil, err
	}
	if st != http.StatusCreated {
		return nil, fmt.Errorf("upload: %d %s", st, b)
	}
	var d documentsv1.Document
	return &d, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, &d)
}

func (c *documentsClient) download(ctx context.Context, name string) ([]byte, error) {
	b, st, err := c.do(ctx, http.MethodGet, c.base+"/v1/"+name+":download", nil)
	if err == nil && st != http.StatusOK {
		err = fmt.Errorf("download: %d %s", st, b)
	}
	return b, err
}

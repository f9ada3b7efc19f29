package matters

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// TestSubmitWithIdempotencyKey: a filing over HTTP with an Idempotency-Key, its materials
// checked with the real documents service before the call's transaction opens (docref
// refuses inside one). The replay answers the first 办件 and stores nothing: no second
// application, audit record or event. A filing refused for a bad material leaves no
// record, so the key then files the corrected request. Both engines.
func TestSubmitWithIdempotencyKey(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withDocuments())
		in := startUp()
		for _, m := range allStartUpMaterials {
			in.Materials = append(in.Materials, &mattersv1.SubmittedMaterial{Name: m, Document: h.uploadDoc(hallClerk, district, m+".pdf")})
		}
		submit := func(key string, body *mattersv1.Application) (int, []byte) {
			return apptest.PostJSON(t, h.base+"/v1/tenants/ahz/applications", h.tokens[hallClerk], body, "Idempotency-Key", key)
		}

		// A material the documents service does not know: refused, nothing kept.
		before := h.fingerprint()
		code, body := submit("window-1-idem", startUp(allStartUpMaterials...))
		require.Equal(t, http.StatusBadRequest, code, string(body))
		require.Equal(t, "DOCUMENT_NOT_FOUND", apptest.StableCode(body))
		require.Equal(t, before, h.fingerprint())
		require.Zero(t, h.count(`SELECT COUNT(*) FROM kit_idempotency`))

		code, first := submit("window-1-idem", in)
		require.Equal(t, http.StatusOK, code, string(first))
		var a mattersv1.Application
		require.NoError(t, protojson.Unmarshal(first, &a))
		require.Equal(t, mattersv1.State_STATE_SUBMITTED, a.GetState())
		filed := h.fingerprint()
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM applications`))
		require.Equal(t, 1, h.auditCount(a.GetName()))

		code, again := submit("window-1-idem", in)
		require.Equal(t, http.StatusOK, code, string(again))
		require.JSONEq(t, string(first), string(again), "the replay answers the first 办件")
		require.Equal(t, filed, h.fingerprint(), "the replay stored nothing")
	})
}

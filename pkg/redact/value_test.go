package redact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/redact"
)

func TestStringNeverPrintsTheValue(t *testing.T) {
	phone := redact.New(redact.KindPhone, "13812345678")
	require.Equal(t, "13812345678", phone.Unmasked())
	require.Equal(t, redact.KindPhone, phone.Kind())

	for _, format := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x"} {
		out := fmt.Sprintf(format, phone)
		require.NotContains(t, out, "12345678", format)
	}
	require.Equal(t, "138****5678", fmt.Sprint(phone))
	require.Equal(t, `redact.String("138****5678")`, fmt.Sprintf("%#v", phone))

	body, err := json.Marshal(struct {
		Phone redact.String `json:"phone"`
		Name  redact.String `json:"name"`
	}{phone, redact.New(redact.KindName, "张三丰")})
	require.NoError(t, err)
	require.JSONEq(t, `{"phone":"138****5678","name":"张**"}`, string(body))

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("applicant", "who", redact.New(redact.KindIDCard, idWithX))
	require.Contains(t, buf.String(), `"who":"110***********002X"`)
	require.NotContains(t, buf.String(), idWithX)
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: redact.ReplaceAttr}))
	log.With("contactPhone", "13812345678").WithGroup("applicant").Info("申请人 "+idPlain+" 提交办件",
		"name_of_person", "张三丰",
		"id_card", idWithX,
		"phone", int64(13912345678),
		"password", "hunter2",
		"password_hint", "",
		slog.Group("address", "street", "文三路100号", "city", "杭州市"),
		"credit_code", "91330100MA2CXXXX8E",
		"server_address", "127.0.0.1:8080",
		"err", fmt.Errorf("lookup 15900001111: %w", errors.New("example")),
		"note", "请拨打15900001111",
		"count", 3,
	)

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "申请人 330***********1236 提交办件", line["msg"])
	require.Equal(t, "138****5678", line["contactPhone"])
	app := line["applicant"].(map[string]any)
	require.Equal(t, "张**", app["name_of_person"])
	require.Equal(t, "110***********002X", app["id_card"])
	require.Equal(t, "139****5678", app["phone"])
	require.Equal(t, redact.Redacted, app["password"])
	require.Equal(t, "", app["password_hint"])
	require.Equal(t, map[string]any{"street": "文三路****", "city": "杭****"}, app["address"])
	require.Equal(t, "91330100MA2CXXXX8E", app["credit_code"])
	require.Equal(t, "127.0.0.1:8080", app["server_address"])
	require.Equal(t, "lookup 159****1111: example", app["err"])
	require.Equal(t, "请拨打159****1111", app["note"])
	require.Equal(t, float64(3), app["count"])
	require.Contains(t, line, "time")
	require.Equal(t, "INFO", line["level"])

	for _, secret := range []string{"13812345678", "13912345678", "15900001111", idPlain, idWithX, "张三丰", "hunter2", "文三路100号"} {
		require.NotContains(t, buf.String(), secret)
	}
}

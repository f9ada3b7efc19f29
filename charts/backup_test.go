package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestBackupCronJob: the releases that run the database Job back PostgreSQL up on a
// schedule with exactly the scripts of files/backup (which e2e/backup runs against a
// real server under load and restores), as the migration user, every enabled service's
// database, into a volume kept across uninstalls; the tiers back up nothing.
func TestBackupCronJob(t *testing.T) {
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			vals := valuesOf(t, s.file)
			r := mustRender(t, c, s.namespace, vals)
			name := componentName("backup")
			if s.tier == "street" || s.tier == "community" {
				require.NotContains(t, r.byKind("CronJob"), name)
				return
			}
			cm := r.one(t, "ConfigMap", name).typed.(*corev1.ConfigMap)
			for _, f := range []string{"pg-dump.sh", "pg-restore.sh"} {
				want, err := os.ReadFile(filepath.Join(chartDir, "files", "backup", f))
				require.NoError(t, err)
				require.Equal(t, string(want), cm.Data[f], f)
			}
			cron := r.one(t, "CronJob", name).typed.(*batchv1.CronJob)
			require.Equal(t, batchv1.ForbidConcurrent, cron.Spec.ConcurrencyPolicy)
			ct := cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
			env := envVars(ct.Env)
			require.Equal(t, "gaoxing_migrator", env["PGUSER"].Value)
			require.Equal(t, "migration-password", env["PGPASSWORD"].ValueFrom.SecretKeyRef.Key)
			require.Equal(t, strings.Join(enabledServices(mergedValues(t, c, vals)), " "), env["DATABASES"].Value)
			require.Equal(t, []string{"/bin/sh", "/etc/gaoxing/backup/pg-dump.sh"}, ct.Command)
			pvc := r.one(t, "PersistentVolumeClaim", name).typed.(*corev1.PersistentVolumeClaim)
			require.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"])
		})
	}
}

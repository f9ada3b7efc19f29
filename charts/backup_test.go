package charts

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
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
			for _, f := range []string{"pg-dump.sh", "pg-restore.sh", "etcd-snapshot.sh", "etcd-restore.sh", "offsite.sh"} {
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

// TestEtcdBackupCronJob: the releases that run their own etcd snapshot it on a schedule:
// the etcd image's etcdctl saves a snapshot of the first member and its etcdutl reads it
// back (the image has no shell), then etcd-snapshot.sh (run by e2e/backup on a real etcd
// with the same commands) files it as a set under the backup volume's etcd/ directory;
// over TLS it presents the client certificate and the user, or the root identity
// backup.etcd names, each file mounted. The tiers, whose etcd is the district's, take none.
func TestEtcdBackupCronJob(t *testing.T) {
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			name := componentName("etcd-backup")
			if s.tier == "street" || s.tier == "community" {
				require.NotContains(t, r.byKind("CronJob"), name)
				return
			}
			etcd := r.one(t, "StatefulSet", componentName("etcd")).typed.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0]
			spec := r.one(t, "CronJob", name).typed.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template.Spec
			require.Len(t, spec.InitContainers, 2)
			save, check, file := spec.InitContainers[0], spec.InitContainers[1], spec.Containers[0]
			const taken = "/backup/.etcd-snapshot.db"
			require.Equal(t, []string{"/usr/local/bin/etcdctl", "snapshot", "save", taken}, save.Command)
			require.Equal(t, []string{"/usr/local/bin/etcdutl", "snapshot", "status", taken, "--write-out=table"}, check.Command)
			require.Equal(t, etcd.Image, save.Image)
			require.Equal(t, etcd.Image, check.Image)
			require.Equal(t, fmt.Sprintf("http://%s-0.%s-headless.%s.svc:2379", componentName("etcd"), componentName("etcd"), s.namespace),
				envVars(save.Env)["ETCDCTL_ENDPOINTS"].Value, "one member")
			require.Equal(t, []string{"/bin/sh", "/etc/gaoxing/backup/etcd-snapshot.sh"}, file.Command)
			env := envVars(file.Env)
			require.Equal(t, taken, env["TAKEN"].Value)
			require.Equal(t, "/backup/etcd", env["BACKUP_DIR"].Value)
			for _, ct := range []corev1.Container{save, check, file} {
				require.Contains(t, ct.VolumeMounts, corev1.VolumeMount{Name: "backup", MountPath: "/backup"}, ct.Name)
			}
			require.Equal(t, componentName("backup"), volumeNamed(t, spec, "backup").PersistentVolumeClaim.ClaimName)
		})
	}

	for _, tc := range []struct {
		name           string
		set            []string
		client, authed string
	}{
		{"etcd's identity", nil, "etcd-client", "etcd-auth"},
		{"a root identity", []string{"backup.etcd.clientSecret=etcd-root", "backup.etcd.authSecret=etcd-root-auth"}, "etcd-root", "etcd-root-auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", append(tlsValues, tc.set...)...))
			spec := r.one(t, "CronJob", componentName("etcd-backup")).typed.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template.Spec
			save := spec.InitContainers[0]
			env := envVars(save.Env)
			require.True(t, strings.HasPrefix(env["ETCDCTL_ENDPOINTS"].Value, "https://"))
			mounts := map[string]string{}
			for _, m := range save.VolumeMounts {
				mounts[m.MountPath] = m.Name
			}
			for variable, file := range map[string]string{
				"ETCDCTL_CACERT": "/etc/gaoxing/ca/ca.crt",
				"ETCDCTL_CERT":   "/etc/gaoxing/etcd-client/tls.crt",
				"ETCDCTL_KEY":    "/etc/gaoxing/etcd-client/tls.key",
			} {
				require.Equal(t, file, env[variable].Value, variable)
				require.NotEmpty(t, mounts[path.Dir(file)], "%s is in no mounted volume", file)
				volumeNamed(t, spec, mounts[path.Dir(file)])
			}
			require.Equal(t, tc.client, volumeNamed(t, spec, "etcd-client").Secret.SecretName)
			require.Equal(t, tc.authed, env["ETCDCTL_USER"].ValueFrom.SecretKeyRef.Name)
			require.Equal(t, tc.authed, env["ETCDCTL_PASSWORD"].ValueFrom.SecretKeyRef.Name)
			require.Equal(t, "password", env["ETCDCTL_PASSWORD"].ValueFrom.SecretKeyRef.Key)
		})
	}
}

// TestBackupOffsite: with backup.offsite each backup pod first writes its sets (its own
// containers run as init containers) and then pushes them with offsite.sh (which
// e2e/backup runs against a real store, restoring from the set it pulls back) under the
// release's prefix, one directory per kind, with the store's credentials mounted and the
// CA bundle trusted; without its bucket or credentials the chart does not render.
func TestBackupOffsite(t *testing.T) {
	c := loadChart(t)
	set := []string{"backup.offsite.url=https://backup.example.gov.cn:9000", "backup.offsite.bucket=gaoxing-backups",
		"backup.offsite.existingSecret=gaoxing-offsite", "tls.caBundle.configMap=gaoxing-ca"}
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", set...))
	for _, job := range []struct{ name, first, prefix, dir string }{
		{componentName("backup"), "pg-dump", "gaoxing/gaoxing/postgresql", "/backup"},
		{componentName("etcd-backup"), "file", "gaoxing/gaoxing/etcd", "/backup/etcd"},
	} {
		spec := r.one(t, "CronJob", job.name).typed.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template.Spec
		inits := make([]string, 0, len(spec.InitContainers))
		for _, ct := range spec.InitContainers {
			inits = append(inits, ct.Name)
		}
		require.Equal(t, job.first, inits[len(inits)-1], "%s: the backup runs before the push", job.name)
		require.Len(t, spec.Containers, 1)
		push := spec.Containers[0]
		require.Equal(t, []string{"/bin/sh", "/etc/gaoxing/backup/offsite.sh", "push"}, push.Command)
		env := envMap(push.Env)
		require.Equal(t, job.prefix, env["OFFSITE_PREFIX"], job.name)
		require.Equal(t, job.dir, env["BACKUP_DIR"], job.name)
		require.Equal(t, "/etc/gaoxing/ca", env["SSL_CERT_DIR"])
		require.Equal(t, "gaoxing-offsite", volumeNamed(t, spec, "offsite").Secret.SecretName)
		requireMounted(t, job.name, corev1.PodSpec{Containers: []corev1.Container{push}, Volumes: spec.Volumes}, "/etc/gaoxing/offsite/secret-key")
		requireMounted(t, job.name, corev1.PodSpec{Containers: []corev1.Container{push}, Volumes: spec.Volumes}, "/etc/gaoxing/ca/ca.crt")
	}
	_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", set[0], set[1]))
	require.ErrorContains(t, err, "backup.offsite.existingSecret is required")
	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", set[0], set[2]))
	require.ErrorContains(t, err, "backup.offsite.bucket is required")
}

func volumeNamed(t *testing.T, spec corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

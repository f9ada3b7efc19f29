package charts

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// netPod is a pod a rendered release would run: where it is, its labels and its named
// ports (for policies that name a port).
type netPod struct {
	ns     string
	labels map[string]string
	ports  map[string]int32
}

// netCluster is several releases' pods and NetworkPolicies in one cluster.
type netCluster struct {
	pods     map[string]netPod // "<namespace>/<component>"
	policies []*networkingv1.NetworkPolicy
}

func (c *netCluster) add(t *testing.T, r rendered, ns string) {
	t.Helper()
	for _, o := range r.objects {
		var tmpl *corev1.PodTemplateSpec
		switch v := o.typed.(type) {
		case *appsv1.Deployment:
			tmpl = &v.Spec.Template
		case *appsv1.StatefulSet:
			tmpl = &v.Spec.Template
		case *batchv1.Job:
			tmpl = &v.Spec.Template
		case *batchv1.CronJob:
			tmpl = &v.Spec.JobTemplate.Spec.Template
		case *networkingv1.NetworkPolicy:
			np := v.DeepCopy()
			np.Namespace = ns
			c.policies = append(c.policies, np)
		}
		if tmpl == nil {
			continue
		}
		p := netPod{ns: ns, labels: tmpl.Labels, ports: map[string]int32{}}
		for _, ct := range tmpl.Spec.Containers {
			for _, port := range ct.Ports {
				p.ports[port.Name] = port.ContainerPort
			}
		}
		c.pods[ns+"/"+tmpl.Labels["app.kubernetes.io/component"]] = p
	}
}

// allows evaluates the policies as Kubernetes does: a connection needs the source's
// egress and the destination's ingress, each allowed when no policy selects the pod for
// that direction or some rule of a policy that does matches the peer and the port.
func (c *netCluster) allows(t *testing.T, from, to string, port int32) bool {
	t.Helper()
	src, ok := c.pods[from]
	require.True(t, ok, "no pod %s", from)
	dst, ok := c.pods[to]
	require.True(t, ok, "no pod %s", to)
	return c.direction(t, src, dst, port, networkingv1.PolicyTypeEgress) &&
		c.direction(t, dst, src, port, networkingv1.PolicyTypeIngress)
}

// direction: may pod (selected by policies of kind) talk to peer on port (a port of dst).
func (c *netCluster) direction(t *testing.T, pod, peer netPod, port int32, kind networkingv1.PolicyType) bool {
	selected := false
	for _, np := range c.policies {
		if np.Namespace != pod.ns || !matches(t, &np.Spec.PodSelector, pod.labels) || !hasType(np, kind) {
			continue
		}
		selected = true
		if kind == networkingv1.PolicyTypeEgress {
			for _, rule := range np.Spec.Egress {
				if peersMatch(t, np.Namespace, rule.To, peer) && portsMatch(rule.Ports, peer, port) {
					return true
				}
			}
			continue
		}
		for _, rule := range np.Spec.Ingress {
			// the port of an ingress rule is the destination's: pod's own.
			if peersMatch(t, np.Namespace, rule.From, peer) && portsMatch(rule.Ports, pod, port) {
				return true
			}
		}
	}
	return !selected
}

func hasType(np *networkingv1.NetworkPolicy, kind networkingv1.PolicyType) bool {
	for _, k := range np.Spec.PolicyTypes {
		if k == kind {
			return true
		}
	}
	return false
}

func peersMatch(t *testing.T, policyNS string, peers []networkingv1.NetworkPolicyPeer, p netPod) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		if peer.IPBlock != nil {
			continue // pod addresses are the cluster's private ranges: no ipBlock rule names them here
		}
		if peer.NamespaceSelector == nil {
			if p.ns != policyNS {
				continue
			}
		} else if !matches(t, peer.NamespaceSelector, map[string]string{"kubernetes.io/metadata.name": p.ns}) {
			continue
		}
		if peer.PodSelector == nil || matches(t, peer.PodSelector, p.labels) {
			return true
		}
	}
	return false
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, dst netPod, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		switch {
		case p.Port == nil:
			return true
		case p.Port.StrVal != "" && dst.ports[p.Port.StrVal] == port:
			return true
		case p.Port.StrVal == "" && p.Port.IntVal == port:
			return true
		}
	}
	return false
}

func matches(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	return s.Matches(labels.Set(set))
}

// TestNetworkPoliciesIsolateReleases evaluates the rendered NetworkPolicies of several
// releases in one cluster: two pooled zones in their own namespaces, and a district with
// its street and community releases. Trust follows the namespace, not the labels every
// release's pods share: another release cannot reach this one's etcd, PostgreSQL or
// MinIO, while the tiers of one zone reach the district's stores.
func TestNetworkPoliciesIsolateReleases(t *testing.T) {
	c := loadChart(t)
	cluster := &netCluster{pods: map[string]netPod{}}
	for _, rel := range []struct{ file, ns string }{
		{"values.yaml", "zone-a"},
		{"values.yaml", "zone-b"},
		{"values-district.yaml", "gaoxing-district"},
		{"values-street.yaml", "gaoxing-street"},
		{"values-community.yaml", "gaoxing-community"},
	} {
		cluster.add(t, mustRender(t, c, rel.ns, valuesOf(t, rel.file, withTree...)), rel.ns)
	}
	cluster.pods["ingress-nginx/controller"] = netPod{ns: "ingress-nginx", labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	for _, tc := range []struct {
		from, to string
		port     int32
		allowed  bool
	}{
		// A pooled zone reaches its own stores.
		{"zone-a/tickets", "zone-a/etcd", 2379, true},
		{"zone-a/tickets", "zone-a/postgresql", 5432, true},
		{"zone-a/documents", "zone-a/minio", 9000, true},
		{"zone-a/tenants", "zone-a/etcd", 2379, true},
		{"zone-a/postgresql-init", "zone-a/postgresql", 5432, true},
		{"zone-a/migrate", "zone-a/postgresql", 5432, true},
		{"zone-a/backup", "zone-a/postgresql", 5432, true},
		{"zone-a/etcd-backup", "zone-a/etcd", 2379, true},
		{"zone-a/minio-provision", "zone-a/minio", 9000, true},
		{"zone-a/matters", "zone-a/identity", 8080, true},
		{"zone-a/matters", "zone-a/documents", 9090, true},
		// The ingress controller reaches the services' HTTP port and, for presigned
		// links, MinIO; never etcd or PostgreSQL.
		{"ingress-nginx/controller", "zone-a/tickets", 8080, true},
		{"ingress-nginx/controller", "zone-a/minio", 9000, true},
		{"ingress-nginx/controller", "zone-a/tickets", 9090, false},
		{"ingress-nginx/controller", "zone-a/etcd", 2379, false},
		{"ingress-nginx/controller", "zone-a/postgresql", 5432, false},
		// Only the service that keeps bytes reaches the object store.
		{"zone-a/tickets", "zone-a/minio", 9000, false},
		// Another release's pods, labelled alike, reach none of it.
		{"zone-b/tickets", "zone-a/etcd", 2379, false},
		{"zone-b/tenants", "zone-a/etcd", 2379, false},
		{"zone-b/tickets", "zone-a/postgresql", 5432, false},
		{"zone-b/postgresql-init", "zone-a/postgresql", 5432, false},
		{"zone-b/migrate", "zone-a/postgresql", 5432, false},
		{"zone-b/backup", "zone-a/postgresql", 5432, false},
		{"zone-b/etcd-backup", "zone-a/etcd", 2379, false},
		{"zone-a/backup", "zone-a/etcd", 2379, false},
		{"zone-a/etcd-backup", "zone-a/postgresql", 5432, false},
		{"zone-a/migrate", "zone-a/etcd", 2379, false},
		{"zone-b/documents", "zone-a/minio", 9000, false},
		{"zone-b/minio-provision", "zone-a/minio", 9000, false},
		{"zone-b/minio", "gaoxing-district/minio", 9000, false},
		// The district's object store is four servers that reach each other.
		{"gaoxing-district/minio", "gaoxing-district/minio", 9000, true},
		{"zone-b/matters", "zone-a/identity", 9090, false},
		{"zone-a/etcd", "zone-b/etcd", 2380, false},
		// The tiers of one zone reach the district's stores and identity; nobody else does.
		{"gaoxing-street/tickets", "gaoxing-district/etcd", 2379, true},
		{"gaoxing-street/tickets", "gaoxing-district/postgresql", 5432, true},
		{"gaoxing-community/documents", "gaoxing-district/minio", 9000, true},
		{"gaoxing-community/matters", "gaoxing-district/identity", 8080, true},
		{"zone-a/tickets", "gaoxing-district/etcd", 2379, false},
		{"zone-b/documents", "gaoxing-district/minio", 9000, false},
		{"gaoxing-street/tickets", "zone-a/postgresql", 5432, false},
		{"gaoxing-district/tickets", "zone-a/etcd", 2379, false},
	} {
		require.Equal(t, tc.allowed, cluster.allows(t, tc.from, tc.to, tc.port), "%s → %s:%d", tc.from, tc.to, tc.port)
	}
}

package tenancy

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Tier is a tenant's level in the service network: the district centre (区政务服务中心),
// a street centre (街道便民服务中心) or a community station (社区服务站).
type Tier string

// The tiers, from the top.
const (
	District  Tier = "district"
	Street    Tier = "street"
	Community Tier = "community"
)

// rank orders tiers from the top; 0 is unknown.
func (t Tier) rank() int {
	switch t {
	case District:
		return 1
	case Street:
		return 2
	case Community:
		return 3
	}
	return 0
}

// WindowKind says what a service window (服务窗口) at a hall accepts.
type WindowKind string

// The window kinds of the seed's district hall.
const (
	GeneralWindow WindowKind = "general" // 无差别综合受理窗口: any matter
	MarketWindow  WindowKind = "market"  // 市场准入窗口: company start-up and changes
	TaxWindow     WindowKind = "tax"     // 税务服务区
	SpecialWindow WindowKind = "special" // 专窗 for one department's matters
)

// Window is one service window of a tenant's hall.
type Window struct {
	Code string     `json:"code" yaml:"code"` // short, unique within the tenant, e.g. "w01"
	Name string     `json:"name" yaml:"name"` // shown to the public, e.g. "无差别综合受理窗口1"
	Kind WindowKind `json:"kind" yaml:"kind"`
}

// Tenant is one node of the tenant tree (租户树): a service centre or station that owns
// its rows and whose staff hold roles there.
type Tenant struct {
	ID     ID     `json:"id" yaml:"id"`
	Name   string `json:"name" yaml:"name"` // official Chinese name, e.g. "高新区政务服务中心"
	Tier   Tier   `json:"tier" yaml:"tier"`
	Parent ID     `json:"parent,omitempty" yaml:"parent,omitempty"` // always ID.Parent(); filled in when empty
	// Services lists the services enabled here by their short names, e.g. "matters".
	Services []string `json:"services,omitempty" yaml:"services,omitempty"`
	// Enabled is false for a tenant that is closed: it keeps its rows but takes no new work.
	Enabled bool     `json:"enabled" yaml:"enabled"`
	Windows []Window `json:"windows,omitempty" yaml:"windows,omitempty"`
}

// Serves reports whether service is enabled at t.
func (t Tenant) Serves(service string) bool {
	for _, s := range t.Services {
		if s == service {
			return true
		}
	}
	return false
}

func (t Tenant) clone() Tenant {
	t.Services = append([]string(nil), t.Services...)
	t.Windows = append([]Window(nil), t.Windows...)
	return t
}

var (
	serviceName = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)
	windowCode  = regexp.MustCompile(`^[a-z0-9]{1,16}$`)
)

// maxNameRunes bounds names shown in the console.
const maxNameRunes = 64

// normalize checks t's own fields (not its place in the tree) and fills Parent.
func (t *Tenant) normalize() error {
	if !t.ID.Valid() {
		_, err := Parse(string(t.ID))
		return err
	}
	if t.Parent == "" {
		t.Parent = t.ID.Parent()
	}
	if t.Parent != t.ID.Parent() {
		return errs.Invalid("parent", "PARENT_MISMATCH", "上级租户必须是标识的前缀部分: "+string(t.ID.Parent()))
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > maxNameRunes || !utf8.ValidString(t.Name) {
		return errs.Invalid("name", "INVALID_NAME", "租户名称不能为空，且不超过 64 个字")
	}
	if t.Tier.rank() == 0 {
		return errs.Invalid("tier", "INVALID_TIER", "层级应为 district、street 或 community")
	}
	seen := map[string]bool{}
	for _, s := range t.Services {
		if !serviceName.MatchString(s) || seen[s] {
			return errs.Invalid("services", "INVALID_SERVICE", "服务名称无效或重复: "+s)
		}
		seen[s] = true
	}
	codes := map[string]bool{}
	for i, w := range t.Windows {
		if !windowCode.MatchString(w.Code) || codes[w.Code] {
			return errs.Invalid("windows", "INVALID_WINDOW", "窗口编号无效或重复: "+w.Code)
		}
		codes[w.Code] = true
		t.Windows[i].Name = strings.TrimSpace(w.Name)
		if t.Windows[i].Name == "" || utf8.RuneCountInString(w.Name) > maxNameRunes {
			return errs.Invalid("windows", "INVALID_WINDOW", "窗口名称不能为空，且不超过 64 个字: "+w.Code)
		}
		switch w.Kind {
		case GeneralWindow, MarketWindow, TaxWindow, SpecialWindow:
		default:
			return errs.Invalid("windows", "INVALID_WINDOW", "窗口类型无效: "+string(w.Kind))
		}
	}
	return nil
}

// checkBelow checks that t's tier lies below its parent's.
func (t Tenant) checkBelow(parent Tenant) error {
	if t.Tier.rank() <= parent.Tier.rank() {
		return errs.Invalid("tier", "TIER_NOT_BELOW_PARENT", "下级租户的层级必须低于上级租户 "+string(parent.ID)+" ("+string(parent.Tier)+")")
	}
	return nil
}

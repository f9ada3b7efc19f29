package stewardship

import (
	"context"
	"errors"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// Opportunity lists (机会清单): items drafted by theme, published by period for the
// website and the official account. The public read needs no token and returns published
// items only, in a message that has no contact person; answers carry Cache-Control so the
// website and CDNs may keep them a minute, and each client address has its own rate.

// Themes are the seed's application scenes (应用场景) an item belongs to.
var Themes = []string{"孵化平台", "服务实体经济", "公园城市", "科技创新", "人力资源", "乡村振兴"}

var periodPattern = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2]|Q[1-4])$`)

var opportunityID = regexp.MustCompile(`^O[0-9]{8,12}$`)

// publicCache is the Cache-Control of public answers.
const publicCache = "public, max-age=60"

// CreateOpportunity drafts an item (see the contract).
func (s *service) CreateOpportunity(ctx context.Context, r *stewardshipv1.CreateOpportunityRequest) (*stewardshipv1.Opportunity, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetOpportunity()
	if in == nil {
		return nil, errs.Invalid("opportunity", "REQUIRED", "opportunity 不能为空")
	}
	if !slices.Contains(Themes, in.GetTheme()) {
		return nil, errs.Invalid("opportunity.theme", "UNKNOWN_THEME", "主题应为："+strings.Join(Themes, "、"))
	}
	if in.GetPeriod() != "" && !periodPattern.MatchString(in.GetPeriod()) {
		return nil, errs.Invalid("opportunity.period", "INVALID_PERIOD", "期次应为 YYYY-MM 或 YYYY-Qn")
	}
	for _, f := range []struct {
		field, v string
		required bool
		max      int
	}{{"opportunity.title", in.GetTitle(), true, 200}, {"opportunity.description", in.GetDescription(), true, 5000},
		{"opportunity.department", in.GetDepartment(), true, 100}, {"opportunity.contact.name", in.GetContact().GetName(), false, 50}} {
		if err := text(f.field, f.v, f.required, f.max); err != nil {
			return nil, err
		}
	}
	if p := in.GetContact().GetPhone(); p != "" && !phonePattern.MatchString(p) {
		return nil, errs.Invalid("opportunity.contact.phone", "INVALID_PHONE", "电话号码格式不正确")
	}
	now := s.now()
	o := &stewardshipv1.Opportunity{Theme: in.GetTheme(), Period: in.GetPeriod(), Title: in.GetTitle(), Description: in.GetDescription(),
		Department: in.GetDepartment(), State: stewardshipv1.OpportunityState_OPPORTUNITY_STATE_DRAFT, UpdateTime: ts(now)}
	var contact *stewardshipv1.Contact
	if c := in.GetContact(); c.GetName() != "" || c.GetPhone() != "" {
		contact = &stewardshipv1.Contact{Name: c.GetName(), Phone: c.GetPhone(), Position: c.GetPosition()}
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "O")
		if err != nil {
			return err
		}
		o.Name = resname.Name(t, "opportunities", id)
		return s.putOpportunity(ctx, t, id, o, contact, now, nil, false)
	})
	if err != nil {
		return nil, err
	}
	return maskOpportunity(o, contact), nil
}

// opportunityRecord is the stored form: the item and its contact (sealed).
type opportunityRecord struct {
	item    *stewardshipv1.Opportunity
	contact *stewardshipv1.Contact
}

func maskOpportunity(o *stewardshipv1.Opportunity, c *stewardshipv1.Contact) *stewardshipv1.Opportunity {
	out := clone(o)
	if c != nil {
		out.Contact = maskContacts([]*stewardshipv1.Contact{c})[0]
	}
	return out
}

func (s *service) putOpportunity(ctx context.Context, t tenancy.ID, id string, o *stewardshipv1.Opportunity, c *stewardshipv1.Contact,
	now time.Time, before *stewardshipv1.Opportunity, update bool) error {
	stored := clone(o)
	stored.Contact = nil
	if c != nil {
		// The contact travels sealed inside the record's JSON.
		stored.Contact = &stewardshipv1.Contact{Name: s.ring.SealString(c.GetName(), "stewardship/"+o.GetName()+"/contact"),
			Phone: s.ring.SealString(c.GetPhone(), "stewardship/"+o.GetName()+"/contact"), Position: c.GetPosition()}
	}
	data, err := marshal.Marshal(stored)
	if err != nil {
		return err
	}
	action := "stewardship.CreateOpportunity"
	if update {
		action = "stewardship.ChangeOpportunity"
		_, err = s.db.Exec(ctx, `UPDATE opportunities SET state = $3, publish_us = $4, update_us = $5, data = $6 WHERE tenant = $1 AND id = $2`,
			string(t), id, int64(o.GetState()), micros(o.GetPublishTime().AsTime(), o.GetPublishTime() != nil), now.UnixMicro(), string(data))
	} else {
		_, err = s.db.Exec(ctx, `INSERT INTO opportunities (tenant, id, state, theme, period, publish_us, update_us, data)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $7)`, string(t), id, int64(o.GetState()), o.GetTheme(), o.GetPeriod(), now.UnixMicro(), string(data))
	}
	if err != nil {
		return err
	}
	var b any
	if before != nil {
		b = before
	}
	_, err = s.audit.Record(ctx, audit.Entry{Tenant: t, Action: action, Resource: o.GetName(), Before: b, After: maskOpportunity(o, c), Time: now})
	return err
}

func micros(t time.Time, set bool) int64 {
	if !set {
		return 0
	}
	return t.UnixMicro()
}

func (s *service) opportunity(ctx context.Context, name string) (tenancy.ID, string, *opportunityRecord, error) {
	t, id, err := resname.Parse("name", name, "opportunities", opportunityID)
	if err != nil {
		return "", "", nil, err
	}
	o, err := scanJSON[*stewardshipv1.Opportunity](s.db.QueryRow(ctx, `SELECT data FROM opportunities WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return "", "", nil, ErrOpportunityNotFound.WithMessage("机会清单条目不存在: %s", name)
	}
	if err != nil {
		return "", "", nil, err
	}
	rec, err := s.openOpportunity(o)
	return t, id, rec, err
}

// openOpportunity unseals a stored item's contact.
func (s *service) openOpportunity(o *stewardshipv1.Opportunity) (*opportunityRecord, error) {
	rec := &opportunityRecord{item: o}
	if c := o.GetContact(); c != nil {
		name, err := s.ring.OpenString(c.GetName(), "stewardship/"+o.GetName()+"/contact")
		if err != nil {
			return nil, err
		}
		phone, err := s.ring.OpenString(c.GetPhone(), "stewardship/"+o.GetName()+"/contact")
		if err != nil {
			return nil, err
		}
		rec.contact = &stewardshipv1.Contact{Name: name, Phone: phone, Position: c.GetPosition()}
	}
	o.Contact = nil
	return rec, nil
}

// ListOpportunities lists a subtree's items in every state (see the contract).
func (s *service) ListOpportunities(ctx context.Context, r *stewardshipv1.ListOpportunitiesRequest) (*stewardshipv1.ListOpportunitiesResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if stewardshipv1.OpportunityState_name[int32(r.GetState())] == "" {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("opportunities", string(t), r.GetState().String())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, next, err := s.opportunities(ctx, t, opportunityFilter{state: r.GetState()}, after, size)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListOpportunitiesResponse{}
	if next != "" {
		resp.NextPageToken = page.Encode(next, query)
	}
	for _, o := range list {
		rec, err := s.openOpportunity(o)
		if err != nil {
			return nil, err
		}
		resp.Opportunities = append(resp.Opportunities, maskOpportunity(rec.item, rec.contact))
	}
	return resp, nil
}

type opportunityFilter struct {
	state  stewardshipv1.OpportunityState
	theme  string
	period string
}

// opportunities lists up to size items of t's subtree after the key after, and the key
// of the last when there are more.
func (s *service) opportunities(ctx context.Context, t tenancy.ID, f opportunityFilter, after string, size int) ([]*stewardshipv1.Opportunity, string, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	afterTenant, afterID := splitKey(after)
	args = append(args, afterTenant, afterID, int64(f.state), f.theme, f.period, size+1)
	rows, err := s.db.Query(ctx, `SELECT tenant, id, data FROM opportunities WHERE `+where+`
		AND (tenant > $3 OR (tenant = $3 AND id > $4)) AND ($5 = 0 OR state = $5) AND ($6 = '' OR theme = $6) AND ($7 = '' OR period = $7)
		ORDER BY tenant, id LIMIT $8`, args...)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = rows.Close() }()
	var out []*stewardshipv1.Opportunity
	last, next := "", ""
	for rows.Next() {
		var tenant, id, data string
		if err := rows.Scan(&tenant, &id, &data); err != nil {
			return nil, "", err
		}
		if len(out) == size {
			next = last
			break
		}
		o := &stewardshipv1.Opportunity{}
		if err := unmarshal.Unmarshal([]byte(data), o); err != nil {
			return nil, "", err
		}
		out, last = append(out, o), tenant+"/"+id
	}
	return out, next, rows.Err()
}

// changeOpportunity moves an item between draft and published.
func (s *service) changeOpportunity(ctx context.Context, name string, publish bool) (*stewardshipv1.Opportunity, error) {
	now := s.now()
	var out *stewardshipv1.Opportunity
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		t, id, rec, err := s.opportunity(ctx, name)
		if err != nil {
			return err
		}
		o := rec.item
		before := maskOpportunity(o, rec.contact)
		next, err := decideOpportunity(o, publish)
		if err != nil {
			return err
		}
		if next == o.GetState() {
			out = before
			return nil
		}
		o.State, o.UpdateTime = next, ts(now)
		if publish {
			o.PublishTime = ts(now)
		} else {
			o.PublishTime = nil
		}
		if err := s.putOpportunity(ctx, t, id, o, rec.contact, now, before, true); err != nil {
			return err
		}
		out = maskOpportunity(o, rec.contact)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decideOpportunity is the publish workflow: a draft with a period may be published; a
// published item may be withdrawn to draft; asking for the state it is in changes nothing.
func decideOpportunity(o *stewardshipv1.Opportunity, publish bool) (stewardshipv1.OpportunityState, error) {
	if !publish {
		return stewardshipv1.OpportunityState_OPPORTUNITY_STATE_DRAFT, nil
	}
	if o.GetPeriod() == "" {
		return o.GetState(), ErrPeriodRequired.WithField("period", ErrPeriodRequired.Code, "发布前须填写清单期次")
	}
	return stewardshipv1.OpportunityState_OPPORTUNITY_STATE_PUBLISHED, nil
}

// PublishOpportunity publishes a draft (see the contract).
func (s *service) PublishOpportunity(ctx context.Context, r *stewardshipv1.PublishOpportunityRequest) (*stewardshipv1.Opportunity, error) {
	return s.changeOpportunity(ctx, r.GetName(), true)
}

// WithdrawOpportunity takes a published item back (see the contract).
func (s *service) WithdrawOpportunity(ctx context.Context, r *stewardshipv1.WithdrawOpportunityRequest) (*stewardshipv1.Opportunity, error) {
	return s.changeOpportunity(ctx, r.GetName(), false)
}

func public(o *stewardshipv1.Opportunity) *stewardshipv1.PublicOpportunity {
	return &stewardshipv1.PublicOpportunity{Name: o.GetName(), Theme: o.GetTheme(), Period: o.GetPeriod(), Title: o.GetTitle(),
		Description: o.GetDescription(), Department: o.GetDepartment(), PublishTime: o.GetPublishTime()}
}

// ListPublishedOpportunities is the public list (see the contract).
func (s *service) ListPublishedOpportunities(ctx context.Context, r *stewardshipv1.ListPublishedOpportunitiesRequest) (*stewardshipv1.ListPublishedOpportunitiesResponse, error) {
	if err := s.limiter.allow(ctx); err != nil {
		return nil, err
	}
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if r.GetPeriod() != "" && !periodPattern.MatchString(r.GetPeriod()) {
		return nil, errs.Invalid("period", "INVALID_PERIOD", "期次应为 YYYY-MM 或 YYYY-Qn")
	}
	if err := text("theme", r.GetTheme(), false, 20); err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 20, 100)
	if err != nil {
		return nil, err
	}
	query := page.Hash("published", string(t), r.GetTheme(), r.GetPeriod())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, next, err := s.opportunities(ctx, t, opportunityFilter{state: stewardshipv1.OpportunityState_OPPORTUNITY_STATE_PUBLISHED,
		theme: r.GetTheme(), period: r.GetPeriod()}, after, size)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListPublishedOpportunitiesResponse{}
	if next != "" {
		resp.NextPageToken = page.Encode(next, query)
	}
	for _, o := range list {
		resp.Opportunities = append(resp.Opportunities, public(o))
	}
	cacheable(ctx)
	return resp, nil
}

// GetPublishedOpportunity is the public read of one item (see the contract).
func (s *service) GetPublishedOpportunity(ctx context.Context, r *stewardshipv1.GetPublishedOpportunityRequest) (*stewardshipv1.PublicOpportunity, error) {
	if err := s.limiter.allow(ctx); err != nil {
		return nil, err
	}
	_, _, rec, err := s.opportunity(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	if rec.item.GetState() != stewardshipv1.OpportunityState_OPPORTUNITY_STATE_PUBLISHED {
		return nil, ErrOpportunityNotFound.WithMessage("机会清单条目不存在: %s", r.GetName())
	}
	cacheable(ctx)
	return public(rec.item), nil
}

// cacheable marks the answer as one shared caches may keep a minute.
func cacheable(ctx context.Context) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("cache-control", publicCache))
}

// limiter is a token bucket per client address for the public reads.
type limiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds the addresses remembered; past it the table starts afresh (a client
// then gets a full bucket once, which is harmless).
const maxBuckets = 10000

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token from the caller's bucket, or refuses with RATE_LIMITED.
func (l *limiter) allow(ctx context.Context) error {
	addr := clientAddr(ctx)
	l.mu.Lock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.buckets = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[addr] = b
	}
	l.mu.Unlock()
	if !b.Allow() {
		return ErrRateLimited
	}
	return nil
}

// clientAddr is the address a public call came from: over HTTP the last hop the gateway
// saw (the right end of X-Forwarded-For, which the gateway appends and a client cannot
// forge), over gRPC the peer.
func clientAddr(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-forwarded-for"); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			return host
		}
		return p.Addr.String()
	}
	return ""
}

package tickets

import (
	"context"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// Rules is who may call each method: the action on tickets.tickets at the tenant the
// request names. Methods addressed to the assignee (their request field is `ticket`, not
// `name`) are platform-wide here and authorized by the service at the handling tenant
// (DecideExtension: at the tenant above it), as the owner tenant in the name is not
// where the assignee's roles are.
var Rules = map[string]authz.Rule{
	Name + ".CreateTicket":     {Object: Object, Action: "create"},
	Name + ".GetTicket":        {Object: Object, Action: "read"},
	Name + ".ListTickets":      {Object: Object, Action: "read"},
	Name + ".DispatchTicket":   {Object: Object, Action: "assign"},
	Name + ".ClaimTicket":      {Object: Object, Action: "update", PlatformWide: true},
	Name + ".StartTicket":      {Object: Object, Action: "update", PlatformWide: true},
	Name + ".ReplyTicket":      {Object: Object, Action: "update", PlatformWide: true},
	Name + ".ReturnTicket":     {Object: Object, Action: "update", PlatformWide: true},
	Name + ".PauseTicket":      {Object: Object, Action: "update", PlatformWide: true},
	Name + ".ResumeTicket":     {Object: Object, Action: "update", PlatformWide: true},
	Name + ".RequestExtension": {Object: Object, Action: "update", PlatformWide: true},
	Name + ".DecideExtension":  {Object: Object, Action: "approve", PlatformWide: true},
	Name + ".MarkHardCase":     {Object: Object, Action: "update", PlatformWide: true},
	Name + ".ExplainTicket":    {Object: Object, Action: "update", PlatformWide: true},
	Name + ".CloseTicket":      {Object: Object, Action: "approve"},
	Name + ".VisitTicket":      {Object: Object, Action: "update"},
	Name + ".RateTicket":       {Object: Object, Action: "update"},
	Name + ".ReopenTicket":     {Object: Object, Action: "update"},
	Name + ".UrgeTicket":       {Object: Object, Action: "urge"},
	Name + ".MergeTicket":      {Object: Object, Action: "assign"},
	Name + ".ClaimPart":        {Object: Object, Action: "update", PlatformWide: true},
	Name + ".FinishPart":       {Object: Object, Action: "update", PlatformWide: true},
	// Each item of a batch is received exactly as by CreateTicket.
	Name + ".BatchCreateTickets": {Object: Object, Action: "create"},
	Name + ".GetTicketStats":     {Object: Object, Action: "read"},
}

// binding is the gRPC server: one line per method, each through the kit's chain.
type binding struct {
	ticketsv1.UnimplementedTicketsServiceServer
	createTicket     kit.Unary[*ticketsv1.CreateTicketRequest, *ticketsv1.Ticket]
	getTicket        kit.Unary[*ticketsv1.GetTicketRequest, *ticketsv1.Ticket]
	listTickets      kit.Unary[*ticketsv1.ListTicketsRequest, *ticketsv1.ListTicketsResponse]
	dispatchTicket   kit.Unary[*ticketsv1.DispatchTicketRequest, *ticketsv1.Ticket]
	claimTicket      kit.Unary[*ticketsv1.ClaimTicketRequest, *ticketsv1.Ticket]
	startTicket      kit.Unary[*ticketsv1.StartTicketRequest, *ticketsv1.Ticket]
	replyTicket      kit.Unary[*ticketsv1.ReplyTicketRequest, *ticketsv1.Ticket]
	returnTicket     kit.Unary[*ticketsv1.ReturnTicketRequest, *ticketsv1.Ticket]
	pauseTicket      kit.Unary[*ticketsv1.PauseTicketRequest, *ticketsv1.Ticket]
	resumeTicket     kit.Unary[*ticketsv1.ResumeTicketRequest, *ticketsv1.Ticket]
	requestExtension kit.Unary[*ticketsv1.RequestExtensionRequest, *ticketsv1.Ticket]
	decideExtension  kit.Unary[*ticketsv1.DecideExtensionRequest, *ticketsv1.Ticket]
	markHardCase     kit.Unary[*ticketsv1.MarkHardCaseRequest, *ticketsv1.Ticket]
	explainTicket    kit.Unary[*ticketsv1.ExplainTicketRequest, *ticketsv1.Ticket]
	closeTicket      kit.Unary[*ticketsv1.CloseTicketRequest, *ticketsv1.Ticket]
	visitTicket      kit.Unary[*ticketsv1.VisitTicketRequest, *ticketsv1.Ticket]
	rateTicket       kit.Unary[*ticketsv1.RateTicketRequest, *ticketsv1.Ticket]
	reopenTicket     kit.Unary[*ticketsv1.ReopenTicketRequest, *ticketsv1.Ticket]
	urgeTicket       kit.Unary[*ticketsv1.UrgeTicketRequest, *ticketsv1.Ticket]
	mergeTicket      kit.Unary[*ticketsv1.MergeTicketRequest, *ticketsv1.Ticket]
	claimPart        kit.Unary[*ticketsv1.ClaimPartRequest, *ticketsv1.Ticket]
	finishPart       kit.Unary[*ticketsv1.FinishPartRequest, *ticketsv1.Ticket]
	batchCreate      kit.Unary[*ticketsv1.BatchCreateTicketsRequest, *ticketsv1.BatchCreateTicketsResponse]
	getStats         kit.Unary[*ticketsv1.GetTicketStatsRequest, *ticketsv1.TicketStats]
}

func bind(k *kit.Service, s *service) *binding {
	return &binding{
		createTicket:     kit.Handle(k, "CreateTicket", s.CreateTicket),
		getTicket:        kit.Handle(k, "GetTicket", s.GetTicket),
		listTickets:      kit.Handle(k, "ListTickets", s.ListTickets),
		dispatchTicket:   kit.Handle(k, "DispatchTicket", s.DispatchTicket),
		claimTicket:      kit.Handle(k, "ClaimTicket", s.ClaimTicket),
		startTicket:      kit.Handle(k, "StartTicket", s.StartTicket),
		replyTicket:      kit.Handle(k, "ReplyTicket", s.ReplyTicket),
		returnTicket:     kit.Handle(k, "ReturnTicket", s.ReturnTicket),
		pauseTicket:      kit.Handle(k, "PauseTicket", s.PauseTicket),
		resumeTicket:     kit.Handle(k, "ResumeTicket", s.ResumeTicket),
		requestExtension: kit.Handle(k, "RequestExtension", s.RequestExtension),
		decideExtension:  kit.Handle(k, "DecideExtension", s.DecideExtension),
		markHardCase:     kit.Handle(k, "MarkHardCase", s.MarkHardCase),
		explainTicket:    kit.Handle(k, "ExplainTicket", s.ExplainTicket),
		closeTicket:      kit.Handle(k, "CloseTicket", s.CloseTicket),
		visitTicket:      kit.Handle(k, "VisitTicket", s.VisitTicket),
		rateTicket:       kit.Handle(k, "RateTicket", s.RateTicket),
		reopenTicket:     kit.Handle(k, "ReopenTicket", s.ReopenTicket),
		urgeTicket:       kit.Handle(k, "UrgeTicket", s.UrgeTicket),
		mergeTicket:      kit.Handle(k, "MergeTicket", s.MergeTicket),
		claimPart:        kit.Handle(k, "ClaimPart", s.ClaimPart),
		finishPart:       kit.Handle(k, "FinishPart", s.FinishPart),
		batchCreate:      kit.Handle(k, "BatchCreateTickets", s.BatchCreateTickets),
		getStats:         kit.Handle(k, "GetTicketStats", s.GetTicketStats),
	}
}

func (b *binding) CreateTicket(ctx context.Context, r *ticketsv1.CreateTicketRequest) (*ticketsv1.Ticket, error) {
	return b.createTicket.Call(ctx, r)
}
func (b *binding) GetTicket(ctx context.Context, r *ticketsv1.GetTicketRequest) (*ticketsv1.Ticket, error) {
	return b.getTicket.Call(ctx, r)
}
func (b *binding) ListTickets(ctx context.Context, r *ticketsv1.ListTicketsRequest) (*ticketsv1.ListTicketsResponse, error) {
	return b.listTickets.Call(ctx, r)
}
func (b *binding) DispatchTicket(ctx context.Context, r *ticketsv1.DispatchTicketRequest) (*ticketsv1.Ticket, error) {
	return b.dispatchTicket.Call(ctx, r)
}
func (b *binding) ClaimTicket(ctx context.Context, r *ticketsv1.ClaimTicketRequest) (*ticketsv1.Ticket, error) {
	return b.claimTicket.Call(ctx, r)
}
func (b *binding) StartTicket(ctx context.Context, r *ticketsv1.StartTicketRequest) (*ticketsv1.Ticket, error) {
	return b.startTicket.Call(ctx, r)
}
func (b *binding) ReplyTicket(ctx context.Context, r *ticketsv1.ReplyTicketRequest) (*ticketsv1.Ticket, error) {
	return b.replyTicket.Call(ctx, r)
}
func (b *binding) ReturnTicket(ctx context.Context, r *ticketsv1.ReturnTicketRequest) (*ticketsv1.Ticket, error) {
	return b.returnTicket.Call(ctx, r)
}
func (b *binding) PauseTicket(ctx context.Context, r *ticketsv1.PauseTicketRequest) (*ticketsv1.Ticket, error) {
	return b.pauseTicket.Call(ctx, r)
}
func (b *binding) ResumeTicket(ctx context.Context, r *ticketsv1.ResumeTicketRequest) (*ticketsv1.Ticket, error) {
	return b.resumeTicket.Call(ctx, r)
}
func (b *binding) RequestExtension(ctx context.Context, r *ticketsv1.RequestExtensionRequest) (*ticketsv1.Ticket, error) {
	return b.requestExtension.Call(ctx, r)
}
func (b *binding) DecideExtension(ctx context.Context, r *ticketsv1.DecideExtensionRequest) (*ticketsv1.Ticket, error) {
	return b.decideExtension.Call(ctx, r)
}
func (b *binding) MarkHardCase(ctx context.Context, r *ticketsv1.MarkHardCaseRequest) (*ticketsv1.Ticket, error) {
	return b.markHardCase.Call(ctx, r)
}
func (b *binding) ExplainTicket(ctx context.Context, r *ticketsv1.ExplainTicketRequest) (*ticketsv1.Ticket, error) {
	return b.explainTicket.Call(ctx, r)
}
func (b *binding) CloseTicket(ctx context.Context, r *ticketsv1.CloseTicketRequest) (*ticketsv1.Ticket, error) {
	return b.closeTicket.Call(ctx, r)
}
func (b *binding) VisitTicket(ctx context.Context, r *ticketsv1.VisitTicketRequest) (*ticketsv1.Ticket, error) {
	return b.visitTicket.Call(ctx, r)
}
func (b *binding) RateTicket(ctx context.Context, r *ticketsv1.RateTicketRequest) (*ticketsv1.Ticket, error) {
	return b.rateTicket.Call(ctx, r)
}
func (b *binding) ReopenTicket(ctx context.Context, r *ticketsv1.ReopenTicketRequest) (*ticketsv1.Ticket, error) {
	return b.reopenTicket.Call(ctx, r)
}
func (b *binding) UrgeTicket(ctx context.Context, r *ticketsv1.UrgeTicketRequest) (*ticketsv1.Ticket, error) {
	return b.urgeTicket.Call(ctx, r)
}

func (b *binding) MergeTicket(ctx context.Context, r *ticketsv1.MergeTicketRequest) (*ticketsv1.Ticket, error) {
	return b.mergeTicket.Call(ctx, r)
}

func (b *binding) ClaimPart(ctx context.Context, r *ticketsv1.ClaimPartRequest) (*ticketsv1.Ticket, error) {
	return b.claimPart.Call(ctx, r)
}

func (b *binding) FinishPart(ctx context.Context, r *ticketsv1.FinishPartRequest) (*ticketsv1.Ticket, error) {
	return b.finishPart.Call(ctx, r)
}

func (b *binding) BatchCreateTickets(ctx context.Context, r *ticketsv1.BatchCreateTicketsRequest) (*ticketsv1.BatchCreateTicketsResponse, error) {
	return b.batchCreate.Call(ctx, r)
}

func (b *binding) GetTicketStats(ctx context.Context, r *ticketsv1.GetTicketStatsRequest) (*ticketsv1.TicketStats, error) {
	return b.getStats.Call(ctx, r)
}

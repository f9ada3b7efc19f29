package stewardship

import (
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// peers are the other services this one calls, each nil when not known (its part of the
// 360° view is then marked unavailable, and a problem cannot become a ticket).
type peers struct {
	matters mattersv1.MattersServiceClient
	tickets ticketsv1.TicketsServiceClient
	// conns by peer name, for parts (view.go) that dial on their own and for close.
	conns map[string]*grpc.ClientConn
}

// peerNames are the services the stewardship service may call.
var peerNames = []string{"matters", "tickets", "legalaid"}

func dialPeers(addrs map[string]string, log *slog.Logger) (*peers, error) {
	p := &peers{conns: map[string]*grpc.ClientConn{}}
	for _, name := range peerNames {
		addr := addrs[name]
		if addr == "" {
			log.Info("peer not configured; its part of the 360° view is unavailable", "peer", name)
			continue
		}
		conn, err := kit.Dial(addr)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("%s at %s: %w", name, addr, err)
		}
		p.conns[name] = conn
	}
	if c := p.conns["matters"]; c != nil {
		p.matters = mattersv1.NewMattersServiceClient(c)
	}
	if c := p.conns["tickets"]; c != nil {
		p.tickets = ticketsv1.NewTicketsServiceClient(c)
	}
	return p, nil
}

func (p *peers) close() {
	for _, c := range p.conns {
		_ = c.Close()
	}
}

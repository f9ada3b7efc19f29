package kit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/go-kit/kit/endpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	samplev1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/sample/v1"
)

// ruleless is a contract written for this test: Ping has a rule, GetNote has none.
const ruleless = "gaoxing.kittest.v1.RulelessService"

func init() {
	withRule := &descriptorpb.MethodOptions{}
	proto.SetExtension(withRule, commonv1.E_Rule, &commonv1.Rule{Public: true})
	f, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:       proto.String("gaoxing/kittest/v1/ruleless.proto"),
		Package:    proto.String("gaoxing.kittest.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"gaoxing/sample/v1/sample.proto"},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("RulelessService"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{Name: proto.String("Ping"), InputType: proto.String(".gaoxing.sample.v1.PingRequest"),
					OutputType: proto.String(".gaoxing.sample.v1.PingResponse"), Options: withRule},
				{Name: proto.String("GetNote"), InputType: proto.String(".gaoxing.sample.v1.GetNoteRequest"),
					OutputType: proto.String(".gaoxing.sample.v1.Note")},
			},
		}},
	}, protoregistry.GlobalFiles)
	if err == nil {
		err = protoregistry.GlobalFiles.RegisterFile(f)
	}
	if err != nil {
		panic(err)
	}
}

// partial implements every method of NotesService but Ping.
type partial struct{}

func (partial) CreateNote(context.Context, *samplev1.CreateNoteRequest) (*samplev1.Note, error) {
	return nil, nil
}
func (partial) GetNote(context.Context, *samplev1.GetNoteRequest) (*samplev1.Note, error) {
	return nil, nil
}
func (partial) ListNotes(context.Context, *samplev1.ListNotesRequest) (*samplev1.ListNotesResponse, error) {
	return nil, nil
}

// misfit has Ping with the wrong request type.
type misfit struct{ partial }

func (misfit) Ping(context.Context, *samplev1.GetNoteRequest) (*samplev1.PingResponse, error) {
	return nil, nil
}

// complete implements every method of NotesService.
type complete struct{ partial }

func (complete) Ping(context.Context, *samplev1.PingRequest) (*samplev1.PingResponse, error) {
	return &samplev1.PingResponse{}, nil
}

func TestRegisterRefusesAnIncompleteService(t *testing.T) {
	notes := samplev1.NotesService_ServiceDesc.ServiceName
	onlyPublic := kit.WithRuleCheck(func(r kit.Rule) error {
		if !r.Public {
			return errors.New("only public methods here")
		}
		return nil
	})
	for _, tc := range []struct {
		name    string
		service string
		impl    any
		opts    []kit.Option
		faults  []string // "" when Register succeeds
	}{
		{"complete", notes, complete{}, nil, nil},
		{"a method without an implementation", notes, partial{}, nil,
			[]string{"gaoxing.sample.v1.NotesService.Ping: not implemented"}},
		{"a method with the wrong signature", notes, misfit{}, nil,
			[]string{"gaoxing.sample.v1.NotesService.Ping: kit_test.misfit has Ping"}},
		{"no implementation at all", notes, nil, nil,
			[]string{"NotesService.CreateNote: not implemented", "NotesService.Ping: not implemented"}},
		{"a method without a rule", ruleless, complete{}, nil,
			[]string{"gaoxing.kittest.v1.RulelessService.GetNote: no access rule"}},
		{"rules the rule check refuses", notes, complete{}, []kit.Option{onlyPublic},
			[]string{"NotesService.CreateNote: access rule: only public", "NotesService.ListNotes: access rule: only public"}},
		{"a service not in the contracts", "gaoxing.nowhere.v1.Nothing", complete{}, nil,
			[]string{"not in the contracts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := kit.New("probe", tc.opts...).RegisterService(tc.service, tc.impl)
			if tc.faults == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, f := range tc.faults {
				require.Contains(t, err.Error(), f)
			}
			if tc.impl != nil {
				require.NotContains(t, err.Error(), "GetNote: not implemented", "only the faults are named")
			}
		})
	}
}

func TestLocalCallsPassTheChainWithTheCallersMetadata(t *testing.T) {
	var seen []string
	var incoming metadata.MD
	svc := kit.New("probe", kit.WithMiddleware(func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			seen = append(seen, m.FullName()+" "+m.Rule.Action)
			incoming, _ = metadata.FromIncomingContext(ctx)
			return next(ctx, req)
		}
	}))
	require.NoError(t, svc.RegisterService(samplev1.NotesService_ServiceDesc.ServiceName, &notesWithText{}))
	client := samplev1.NewNotesServiceClient(svc.Local())

	ctx := metadata.AppendToOutgoingContext(t.Context(), "idempotency-key", "k-1")
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "from an outer call"))
	note, err := client.GetNote(ctx, &samplev1.GetNoteRequest{Name: "tenants/ahz/notes/N1"})
	require.NoError(t, err)
	require.Equal(t, "tenants/ahz/notes/N1: 便签", note.GetText())
	require.Equal(t, []string{"probe.GetNote read"}, seen)
	require.Equal(t, []string{"k-1"}, incoming.Get("idempotency-key"), "outgoing metadata arrives")
	require.Empty(t, incoming.Get("authorization"), "the caller's own incoming metadata does not")

	_, err = client.CreateNote(t.Context(), &samplev1.CreateNoteRequest{})
	require.ErrorContains(t, err, "NOTE_NOT_FOUND", "errors come back through the error table")
}

type notesWithText struct{ complete }

func (notesWithText) GetNote(_ context.Context, r *samplev1.GetNoteRequest) (*samplev1.Note, error) {
	return &samplev1.Note{Name: r.GetName(), Text: r.GetName() + ": 便签"}, nil
}

func (notesWithText) CreateNote(context.Context, *samplev1.CreateNoteRequest) (*samplev1.Note, error) {
	return nil, errNoteNotFound
}

// echo answers GetNote with the name it was asked for.
type echo struct{ complete }

func (echo) GetNote(_ context.Context, r *samplev1.GetNoteRequest) (*samplev1.Note, error) {
	return &samplev1.Note{Name: r.GetName()}, nil
}

// TestConcurrentCallsGetTheirOwnRequest: every gRPC call decodes into a request of its
// own, so concurrent calls of one method never see each other's fields.
func TestConcurrentCallsGetTheirOwnRequest(t *testing.T) {
	t.Parallel()
	svc := kit.New("sample")
	require.NoError(t, kit.Register(t.Context(), svc, echo{}, samplev1.NotesService_ServiceDesc.ServiceName,
		samplev1.NewNotesServiceClient, samplev1.RegisterNotesServiceHandlerClient))
	client := samplev1.NewNotesServiceClient(kittest.Serve(t, svc).Conn)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("tenants/ahz/notes/N%03d%03d", g, i)
				got, err := client.GetNote(t.Context(), &samplev1.GetNoteRequest{Name: name})
				if !assert.NoError(t, err) || !assert.Equal(t, name, got.GetName()) {
					return
				}
			}
		})
	}
	wg.Wait()
}

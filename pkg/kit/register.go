package kit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/go-kit/kit/endpoint"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/proto/gen"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// method is one registered method: what the middlewares see, how to allocate its request,
// and its endpoint behind the whole chain.
type method struct {
	Method
	fullMethod string // "/gaoxing.tickets.v1.TicketsService/GetTicket"
	newRequest func() proto.Message
	endpoint   endpoint.Endpoint
}

// binding is what the contract and an implementation's type say about one method.
type binding struct {
	Method
	request proto.Message // an empty request, for its type
	index   int           // the implementation's method
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// Register serves impl as the service the contract names over both transports: gRPC
// (RegisterService) and HTTP/JSON, through the generated gateway handlers of the service
// against Local, with the contract's OpenAPI document at /api/<service>/openapi.json. A
// service's whole wiring is one call:
//
//	kit.Register(ctx, k, impl, ticketsv1.TicketsService_ServiceDesc.ServiceName,
//		ticketsv1.NewTicketsServiceClient, ticketsv1.RegisterTicketsServiceHandlerClient)
func Register[C any](ctx context.Context, s *Service, impl any, service string,
	newClient func(grpc.ClientConnInterface) C, gateway func(context.Context, *runtime.ServeMux, C) error) error {
	spec, err := gen.OpenAPI(s.name)
	if err != nil {
		return err
	}
	if err := s.RegisterService(service, impl); err != nil {
		return err
	}
	s.OpenAPI(spec)
	return gateway(ctx, s.gateway, newClient(s.Local()))
}

// RegisterService serves impl as the service the contract names (its full name, such as
// ticketsv1.TicketsService_ServiceDesc.ServiceName): on the gRPC server, and to Local,
// against which the generated gateway handlers are registered. Each method of the
// service is impl's method of the same name, func(context.Context, *Req) (*Resp, error),
// found once here and run behind the chain. It refuses the whole service, naming
// every fault, when a method declares no rule (or one the rule check rejects), when impl
// lacks a method or has it with another signature, or when a method streams.
func (s *Service) RegisterService(service string, impl any) error {
	sd, err := serviceDescriptor(service)
	if err != nil {
		return err
	}
	bindings, err := bind(s.name, sd, reflect.TypeOf(impl), s.check)
	if err != nil {
		return err
	}
	desc := &grpc.ServiceDesc{ServiceName: service, Metadata: sd.ParentFile().Path()}
	v := reflect.ValueOf(impl)
	for _, b := range bindings {
		// A new message per call: a method value of one message (Type().New().Interface)
		// would hand every concurrent call the same request to decode into.
		typ := b.request.ProtoReflect().Type()
		m := &method{
			Method:     b.Method,
			fullMethod: "/" + service + "/" + b.Name,
			newRequest: func() proto.Message { return typ.New().Interface() },
			endpoint:   s.wrap(b.Method, call(v.Method(b.index))),
		}
		s.methods[m.fullMethod] = m
		desc.Methods = append(desc.Methods, grpc.MethodDesc{MethodName: b.Name, Handler: m.serveGRPC})
	}
	// No handler value: the method handlers above hold the implementation.
	s.grpc.RegisterService(desc, nil)
	return nil
}

// Check reports what RegisterService would refuse for impl's type (impl may be a nil
// pointer), with check as the rule check: the test every service runs in make verify.
func Check(service string, impl any, check func(Rule) error) error {
	sd, err := serviceDescriptor(service)
	if err != nil {
		return err
	}
	_, err = bind("", sd, reflect.TypeOf(impl), check)
	return err
}

func serviceDescriptor(service string) (protoreflect.ServiceDescriptor, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, fmt.Errorf("kit: service %s is not in the contracts: %w", service, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("kit: %s is not a service", service)
	}
	return sd, nil
}

// bind matches every method of sd with its rule and with impl's method of the same name.
func bind(short string, sd protoreflect.ServiceDescriptor, impl reflect.Type, check func(Rule) error) ([]binding, error) {
	var faults []error
	fault := func(name protoreflect.Name, format string, args ...any) {
		faults = append(faults, fmt.Errorf("%s.%s: "+format, append([]any{sd.FullName(), name}, args...)...))
	}
	var out []binding
	methods := sd.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		name := md.Name()
		if md.IsStreamingClient() || md.IsStreamingServer() {
			fault(name, "streaming methods are not supported")
			continue
		}
		req, err1 := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
		resp, err2 := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
		if err := errors.Join(err1, err2); err != nil {
			fault(name, "message types not linked in: %v", err)
			continue
		}
		b := binding{Method: Method{Service: short, Name: string(name), NewResponse: resp.New().Interface},
			request: req.Zero().Interface()}
		b.Rule = ruleOf(md)
		switch {
		case b.Rule == nil:
			fault(name, "no access rule: add option (gaoxing.common.v1.rule) to the method")
		case check != nil:
			if err := check(*b.Rule); err != nil {
				fault(name, "access rule: %v", err)
			}
		}
		want := reflect.FuncOf([]reflect.Type{contextType, reflect.TypeOf(b.request)},
			[]reflect.Type{reflect.TypeOf(resp.Zero().Interface()), errorType}, false)
		var fn reflect.Method
		ok := impl != nil
		if ok {
			fn, ok = impl.MethodByName(string(name))
		}
		switch {
		case !ok:
			fault(name, "not implemented by %v: want method %s %v", impl, name, want)
		case !sameSignature(fn.Type, want):
			fault(name, "%v has %s %v: want %v", impl, name, fn.Type, want)
		default:
			b.index = fn.Index
		}
		out = append(out, b)
	}
	if len(faults) > 0 {
		return nil, fmt.Errorf("kit: service %s cannot start:\n%w", sd.FullName(), errors.Join(faults...))
	}
	return out, nil
}

// sameSignature reports whether method (with its receiver first) takes and returns what
// fn does.
func sameSignature(method, fn reflect.Type) bool {
	if method.NumIn() != fn.NumIn()+1 || method.NumOut() != fn.NumOut() || method.IsVariadic() {
		return false
	}
	for i := range fn.NumIn() {
		if method.In(i+1) != fn.In(i) {
			return false
		}
	}
	for i := range fn.NumOut() {
		if method.Out(i) != fn.Out(i) {
			return false
		}
	}
	return true
}

// ruleOf reads a method's access rule from its options; nil when it declares none.
func ruleOf(md protoreflect.MethodDescriptor) *Rule {
	opts := md.Options()
	if opts == nil || !proto.HasExtension(opts, commonv1.E_Rule) {
		return nil
	}
	r := proto.GetExtension(opts, commonv1.E_Rule).(*commonv1.Rule)
	return &Rule{Object: r.GetObject(), Action: r.GetAction(), PlatformWide: r.GetPlatformWide(), Public: r.GetPublic(),
		Applicants: Applicants(r.GetApplicants())}
}

// call makes an implementation's method an endpoint. The method was found and its
// signature checked at registration; only the call itself goes through reflection.
func call(fn reflect.Value) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		out := fn.Call([]reflect.Value{reflect.ValueOf(&ctx).Elem(), reflect.ValueOf(req)})
		err, _ := out[1].Interface().(error)
		return out[0].Interface(), err
	}
}

// serveGRPC is the gRPC method handler of every registered method (its parameters are
// grpc.MethodHandler's, context second).
func (m *method) serveGRPC(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) { //nolint:revive // grpc.MethodHandler
	req := m.newRequest()
	if err := dec(req); err != nil {
		return nil, err
	}
	run := func(ctx context.Context, req any) (any, error) {
		resp, err := m.endpoint(ctx, req)
		if err != nil {
			return nil, errs.From(err)
		}
		return resp, nil
	}
	if interceptor == nil {
		return run(ctx, req)
	}
	return interceptor(ctx, req, &grpc.UnaryServerInfo{FullMethod: m.fullMethod}, run)
}

// Local is a client connection to the service itself, in process: a call runs the
// method's endpoint, with the whole chain, without encoding anything. The generated
// gateway handlers are registered against it (pb.RegisterXHandlerClient(ctx, k.Gateway(),
// pb.NewXClient(k.Local()))), so HTTP/JSON passes the same chain as gRPC. As over a
// network, the callee sees the caller's outgoing metadata as its incoming metadata
// (authorization, Idempotency-Key), and nothing of the caller's incoming metadata.
func (s *Service) Local() grpc.ClientConnInterface { return local{s} }

type local struct{ s *Service }

func (l local) Invoke(ctx context.Context, name string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := l.s.methods[name]
	if !ok {
		return status.Errorf(codes.Unimplemented, "method %s is not registered", name)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	ctx = metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), md)
	// Headers the method sets (grpc.SetHeader) reach the caller as over a network: the
	// gateway asks for them with grpc.Header and answers them over HTTP.
	st := &localStream{method: name}
	ctx = grpc.NewContextWithServerTransportStream(ctx, st)
	resp, err := m.endpoint(ctx, args)
	for _, o := range opts {
		if h, ok := o.(grpc.HeaderCallOption); ok && h.HeaderAddr != nil {
			*h.HeaderAddr = st.header
		}
	}
	if err != nil {
		return errs.From(err)
	}
	moveInto(reply.(proto.Message), resp.(proto.Message))
	return nil
}

// localStream keeps the headers a method sets during an in-process call.
type localStream struct {
	method string
	mu     sync.Mutex
	header metadata.MD
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *localStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *localStream) SetTrailer(metadata.MD) error { return nil }

func (local) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "streaming methods are not supported")
}

// moveInto makes dst hold what src holds, sharing its nested values rather than copying
// them: src is a response nobody changes after it is returned, and only dst is read.
func moveInto(dst, src proto.Message) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	s.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		d.Set(fd, v)
		return true
	})
	if u := s.GetUnknown(); len(u) > 0 {
		d.SetUnknown(u)
	}
}

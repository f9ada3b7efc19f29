// Package kit is the go-kit glue every Gaoxing service is built with. A service hands the
// kit plain methods, func(ctx, *pb.XRequest) (*pb.XResponse, error); the kit makes each a
// go-kit endpoint behind one middleware chain and serves it over gRPC and, through
// grpc-gateway, as HTTP/JSON under /api/<service>/. Errors leave through the errs table,
// so both transports answer with the same status and stable code.
//
// Layout of a service built with it (see the sample in kit_test.go):
//
//	svc := kit.New("sample", kit.WithMiddleware(...))
//	b := &binding{
//		create: kit.Handle(svc, "CreateNote", impl.CreateNote),
//		get:    kit.Handle(svc, "GetNote", impl.GetNote),
//	}
//	func (b *binding) CreateNote(ctx context.Context, r *pb.CreateNoteRequest) (*pb.Note, error) {
//		return b.create.Call(ctx, r)
//	}
//
// The binding implements the generated server interface and is registered with both
// pb.RegisterXServer and pb.RegisterXHandlerServer.
//
// Routes that are not RPCs (a streaming upload, a protocol façade such as Open311) are
// methods too: Route runs a func(w, r) error through the same chain, the request it
// carries being an HTTPCall, so no route is a side door.
package kit

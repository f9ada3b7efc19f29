// Package kit is the go-kit glue every Gaoxing service is built with. A service hands the
// kit plain methods, func(ctx, *pb.XRequest) (*pb.XResponse, error); the kit makes each a
// go-kit endpoint behind one middleware chain and serves it over gRPC and, through
// grpc-gateway, as HTTP/JSON under /api/<service>/. Errors leave through the errs table,
// so both transports answer with the same status and stable code.
//
// A service is registered from its contract: each method of the proto service is the
// implementation's method of the same name, and its access rule is the method option
// gaoxing.common.v1.rule. Nothing is written per method (see the sample in sample_test.go):
//
//	svc := kit.New("sample", kit.WithMiddleware(...))
//	err := kit.Register(ctx, svc, impl, samplev1.NotesService_ServiceDesc.ServiceName,
//		samplev1.NewNotesServiceClient, samplev1.RegisterNotesServiceHandlerClient)
//
// Register refuses a service with a method that has no rule or no implementation, so such
// a service never starts. The gRPC server calls the chain directly; the gateway reaches
// it through Local, an in-process connection that encodes nothing.
//
// Routes that are not RPCs (a streaming upload, a protocol façade such as Open311) are
// methods too: Route runs a func(w, r) error through the same chain with the rule declared
// beside it, the request it carries being an HTTPCall, so no route is a side door.
package kit

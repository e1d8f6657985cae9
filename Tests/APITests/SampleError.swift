/// A sample event is not shaped like an HTTP API event (a broken fixture fails the test).
struct SampleError: Error { var name: String }

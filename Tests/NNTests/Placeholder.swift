import Testing
@Test func placeholderNNTests() {}

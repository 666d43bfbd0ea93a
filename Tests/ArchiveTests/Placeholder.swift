import Testing
@Test func placeholderArchiveTests() {}

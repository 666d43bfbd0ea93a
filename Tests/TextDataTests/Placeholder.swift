import Testing
@Test func placeholderTextDataTests() {}

import Testing
@Test func placeholderImageDataTests() {}

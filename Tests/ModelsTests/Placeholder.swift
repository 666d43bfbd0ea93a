import Testing
@Test func placeholderModelsTests() {}

import Testing
import YAML

@Suite("YAML parsing")
struct YAMLParserTests {
    @Test("Nodes carry 1-based line:column marks and scalar styles")
    func marksAndStyles() throws {
        let root = try #require(try YAMLParser.parse("a: 1\nb:\n  - 'x'\n  - \"y\"\n  - z\n"))
        #expect(root.mark == YAMLMark(line: 1, column: 1))
        #expect(root["a"]?.scalar == YAMLScalar("1"))
        #expect(root["a"]?.mark == YAMLMark(line: 1, column: 4))
        let items = try #require(root["b"]?.sequence)
        #expect(items.map(\.scalar) == [YAMLScalar("x", style: .singleQuoted), YAMLScalar("y", style: .doubleQuoted),
                                        YAMLScalar("z")])
        #expect(items[2].mark == YAMLMark(line: 5, column: 5))
    }

    @Test("Only plain scalars are numbers, booleans or null")
    func scalarTyping() {
        #expect(YAMLScalar("5038").int == 5038)
        #expect(YAMLScalar("5038", style: .doubleQuoted).int == nil)
        #expect(YAMLScalar("true").bool == true && YAMLScalar("yes").bool == nil)
        #expect(YAMLScalar("~").isNull && YAMLScalar("").isNull && !YAMLScalar("", style: .singleQuoted).isNull)
        #expect(YAMLScalar("0.02").double == 0.02 && YAMLScalar("nan").double == nil && YAMLScalar("1e3").double == 1000)
    }

    @Test("Aliases expand to copies of their anchor; merge keys stay ordinary keys")
    func aliases() throws {
        let root = try #require(try YAMLParser.parse("base: &b {x: 1}\ncopy: *b\nmerged: {<<: *b}\n"))
        #expect(root["copy"]?.mapping == root["base"]?.mapping)
        #expect(root["merged"]?.mapping?.first?.key.scalar?.value == "<<")
    }

    @Test("Empty text has no document; a second document is refused")
    func documents() throws {
        #expect(try YAMLParser.parse("") == nil)
        #expect(try YAMLParser.parse("# only a comment\n") == nil)
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: 1\n---\nb: 2\n") }
    }

    @Test("Syntax errors carry libyaml's problem, context and position")
    func syntaxErrors() {
        do {
            _ = try YAMLParser.parse("a: [1, 2\nb: 3\n")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.description == "2:2: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)")
        }
    }

    @Test("Deep nesting and alias bombs hit limits, not memory")
    func limits() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(deep) }
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        #expect(throws: YAMLError.self) { try YAMLParser.parse(bomb, limits: .init(maximumNodes: 1000)) }
        #expect(throws: Never.self) { try YAMLParser.parse(bomb) }
    }

    @Test("Unknown aliases are errors")
    func unknownAlias() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: *nope\n") }
    }
}

import CYAML

/// Parses YAML text into a ``YAMLNode`` tree with libyaml's event API.
///
/// Aliases (`*name`) are expanded into copies of their anchored node. Expansion is bounded by
/// ``Limits/maximumNodes`` so a "billion laughs" document (aliases of aliases of aliases…) fails
/// fast with an error instead of exhausting memory. Merge keys (`<<`) are not YAML 1.2 and stay
/// ordinary keys, which the configuration reader then reports as unknown.
public enum YAMLParser {
    public struct Limits: Sendable {
        /// Nodes in the expanded tree, aliases counted at their full size.
        public var maximumNodes: Int
        /// Nesting of collections.
        public var maximumDepth: Int

        public init(maximumNodes: Int = 100_000, maximumDepth: Int = 200) {
            self.maximumNodes = maximumNodes
            self.maximumDepth = maximumDepth
        }
    }

    /// The single document in `text`, or nil when the text has none (empty or only comments).
    public static func parse(_ text: String, limits: Limits = Limits()) throws(YAMLError) -> YAMLNode? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError(message: "cannot initialise the YAML parser", mark: YAMLMark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(parser) }
        // libyaml reads the input lazily, so it must live in a stable allocation until parsing ends.
        let bytes = Array(text.utf8)
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { input.deallocate() }
        _ = input.initialize(from: bytes)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
        var builder = TreeBuilder(limits: limits)
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError(parser) }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { break }
            try builder.consume(event)
        }
        return builder.root
    }

    private static func syntaxError(_ parser: UnsafeMutablePointer<yaml_parser_t>) -> YAMLError {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = problem
        if let context = p.context.map({ String(cString: $0) }) {
            message += " (\(context) at \(p.context_mark.line + 1):\(p.context_mark.column + 1))"
        }
        return YAMLError(message: message, mark: YAMLMark(line: Int(p.problem_mark.line) + 1,
                                                          column: Int(p.problem_mark.column) + 1))
    }
}

/// Turns the event stream into a tree with an explicit stack (no recursion on deep input).
private struct TreeBuilder {
    private enum Frame {
        case sequence(start: YAMLMark, tag: String?, anchor: String?, items: [YAMLNode], size: Int)
        case mapping(start: YAMLMark, tag: String?, anchor: String?, pairs: [YAMLPair], key: YAMLNode?, size: Int)
    }

    let limits: YAMLParser.Limits
    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var totalNodes = 0
    private var documents = 0
    private(set) var root: YAMLNode?

    init(limits: YAMLParser.Limits) {
        self.limits = limits
    }

    mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
        let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(.limit, message: "expected a single document, found another one here", mark: mark)
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = data.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: data.length), as: UTF8.self)
            } ?? ""
            let node = YAMLNode(kind: .scalar(YAMLScalar(value, style: Self.style(data.style))), mark: mark,
                                tag: Self.string(data.tag))
            try add(node, size: 1, anchor: Self.string(data.anchor), at: mark)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                throw YAMLError(message: "unknown alias \"*\(name)\"", mark: mark)
            }
            try add(anchored.node, size: anchored.size, anchor: nil, at: mark)
        case YAML_SEQUENCE_START_EVENT:
            try push(at: mark)
            let data = event.data.sequence_start
            stack.append(.sequence(start: mark, tag: Self.string(data.tag), anchor: Self.string(data.anchor),
                                   items: [], size: 1))
        case YAML_MAPPING_START_EVENT:
            try push(at: mark)
            let data = event.data.mapping_start
            stack.append(.mapping(start: mark, tag: Self.string(data.tag), anchor: Self.string(data.anchor),
                                  pairs: [], key: nil, size: 1))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            switch frame {
            case .sequence(let start, let tag, let anchor, let items, let size):
                try add(YAMLNode(kind: .sequence(items), mark: start, tag: tag), size: size, anchor: anchor,
                        at: start, counted: true)
            case .mapping(let start, let tag, let anchor, let pairs, _, let size):
                try add(YAMLNode(kind: .mapping(pairs), mark: start, tag: tag), size: size, anchor: anchor,
                        at: start, counted: true)
            }
        default:
            break
        }
    }

    private mutating func push(at mark: YAMLMark) throws(YAMLError) {
        if stack.count >= limits.maximumDepth {
            throw YAMLError(.limit, message: "nesting deeper than \(limits.maximumDepth) levels", mark: mark)
        }
        totalNodes += 1  // the collection itself; its children are counted as they arrive
    }

    /// Attaches a finished node to its parent (or makes it the root) and accounts for its size.
    /// `counted` is set for collections, whose own nodes were already added to the total one by one.
    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?, at mark: YAMLMark,
                              counted: Bool = false) throws(YAMLError) {
        if !counted {
            totalNodes += size
            if totalNodes > limits.maximumNodes {
                throw YAMLError(.limit, message: "document expands to more than \(limits.maximumNodes) nodes "
                                    + "(aliases nested too deeply?)", mark: mark)
            }
        }
        if let anchor { anchors[anchor] = (node, size) }
        guard let parent = stack.popLast() else {
            root = node
            return
        }
        switch parent {
        case .sequence(let start, let tag, let parentAnchor, var items, let parentSize):
            items.append(node)
            stack.append(.sequence(start: start, tag: tag, anchor: parentAnchor, items: items, size: parentSize + size))
        case .mapping(let start, let tag, let parentAnchor, var pairs, let key, let parentSize):
            if let key {
                pairs.append(YAMLPair(key: key, value: node))
                stack.append(.mapping(start: start, tag: tag, anchor: parentAnchor, pairs: pairs, key: nil,
                                      size: parentSize + size))
            } else {
                stack.append(.mapping(start: start, tag: tag, anchor: parentAnchor, pairs: pairs, key: node,
                                      size: parentSize + size))
            }
        }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

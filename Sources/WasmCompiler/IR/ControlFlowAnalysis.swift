import WasmFrontEnd

/// Control-flow facts about an `IRFunction`: predecessors, reachability, dominators and the
/// loops of the layout order. Computed on demand by the passes and the register allocator;
/// recompute after a pass that changes edges.
public struct ControlFlowAnalysis {
    /// Predecessor blocks per block, one entry per edge (a block appears twice if two of its
    /// edges reach the same target).
    public private(set) var predecessors: [[IRBlockID]]
    /// Reachable blocks in reverse postorder (the entry first).
    public private(set) var reversePostorder: [IRBlockID]
    /// Position in `reversePostorder`, or -1 for unreachable blocks.
    public private(set) var rpoNumber: [Int]
    /// Immediate dominator per block (the entry's is itself; -1 for unreachable blocks).
    public private(set) var immediateDominator: [Int]
    /// Per block: its position in `IRFunction.liveBlocks` (-1 when removed).
    public private(set) var layoutPosition: [Int]
    /// Per block: the layout position of the last block of the loop it heads, or -1 when it is
    /// not a loop header (a loop is the layout range header…end; wasm's structure makes every
    /// loop contiguous in layout order). Ranges nest: a loop's range covers every loop whose
    /// header lies in it, even when its own last back edge comes earlier.
    public private(set) var loopEnd: [Int]

    public init(_ function: IRFunction) {
        let count = function.blocks.count
        predecessors = Array(repeating: [], count: count)
        for index in 0..<count where !function.isRemoved[index] {
            for edge in function.blocks[index].terminator.edges {
                predecessors[edge.target.id].append(IRBlockID(index))
            }
        }
        // Iterative depth-first search for the postorder.
        var visited = Array(repeating: false, count: count)
        var postorder: [IRBlockID] = []
        var stack: [(block: Int, next: Int)] = [(0, 0)]
        visited[0] = true
        while let top = stack.last {
            let edges = function.blocks[top.block].terminator
            if top.next < edges.edgeCount {
                stack[stack.count - 1].next += 1
                let target = edges.edge(top.next).target.id
                if !visited[target] {
                    visited[target] = true
                    stack.append((target, 0))
                }
            } else {
                postorder.append(IRBlockID(top.block))
                stack.removeLast()
            }
        }
        reversePostorder = postorder.reversed()
        rpoNumber = Array(repeating: -1, count: count)
        for (position, block) in reversePostorder.enumerated() { rpoNumber[block.id] = position }
        // Cooper, Harvey and Kennedy's iterative dominator algorithm.
        immediateDominator = Array(repeating: -1, count: count)
        immediateDominator[0] = 0
        var changed = true
        while changed {
            changed = false
            for block in reversePostorder.dropFirst() {
                var newDominator = -1
                for predecessor in predecessors[block.id] where immediateDominator[predecessor.id] >= 0 {
                    if newDominator < 0 {
                        newDominator = predecessor.id
                    } else {
                        newDominator = Self.intersect(predecessor.id, newDominator, immediateDominator, rpoNumber)
                    }
                }
                if newDominator >= 0 && immediateDominator[block.id] != newDominator {
                    immediateDominator[block.id] = newDominator
                    changed = true
                }
            }
        }
        layoutPosition = Array(repeating: -1, count: count)
        // Positions among the live blocks (`IRFunction.liveBlocks`).
        for (position, block) in function.liveBlocks.enumerated() { layoutPosition[block.id] = position }
        loopEnd = Array(repeating: -1, count: count)
        for index in 0..<count where rpoNumber[index] >= 0 {
            let position = layoutPosition[index]
            for edge in function.blocks[index].terminator.edges where layoutPosition[edge.target.id] <= position {
                loopEnd[edge.target.id] = max(loopEnd[edge.target.id], position)
            }
        }
        // A loop's last back edge can come before the end of a loop nested in it (an outer
        // loop's `br` from inside the inner loop's body): the outer loop still contains the
        // whole inner loop, so extend it to cover every loop that starts inside it. Innermost
        // (latest) headers first, so a nested loop's range is final when its parent jumps it.
        var headerAt = Array(repeating: -1, count: function.liveBlocks.count)
        for index in 0..<count where loopEnd[index] >= 0 { headerAt[layoutPosition[index]] = index }
        for header in headerAt.reversed() where header >= 0 {
            var end = loopEnd[header]
            var position = layoutPosition[header] + 1
            while position <= end {
                let nested = headerAt[position]
                if nested >= 0 {
                    end = max(end, loopEnd[nested])
                    position = loopEnd[nested] + 1
                } else {
                    position += 1
                }
            }
            loopEnd[header] = end
        }
    }

    private static func intersect(_ first: Int, _ second: Int, _ dominators: [Int], _ order: [Int]) -> Int {
        var a = first
        var b = second
        while a != b {
            while order[a] > order[b] { a = dominators[a] }
            while order[b] > order[a] { b = dominators[b] }
        }
        return a
    }

    public func isReachable(_ block: IRBlockID) -> Bool { rpoNumber[block.id] >= 0 }

    /// Whether `first` dominates `second` (every block dominates itself).
    public func dominates(_ first: IRBlockID, _ second: IRBlockID) -> Bool {
        guard rpoNumber[first.id] >= 0, rpoNumber[second.id] >= 0 else { return false }
        var block = second.id
        while true {
            if block == first.id { return true }
            if rpoNumber[block] < rpoNumber[first.id] || block == 0 { return false }
            block = immediateDominator[block]
        }
    }

    /// Children of each block in the dominator tree, in reverse postorder.
    public func dominatorTreeChildren() -> [[IRBlockID]] {
        var children: [[IRBlockID]] = Array(repeating: [], count: rpoNumber.count)
        for block in reversePostorder.dropFirst() {
            children[immediateDominator[block.id]].append(block)
        }
        return children
    }
}

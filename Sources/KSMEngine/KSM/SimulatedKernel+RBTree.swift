import CXXHash

#if canImport(Glibc)
    import Glibc
#endif

// The stable tree's shape: a red-black tree of tree-level stable nodes ordered by memcmp of their
// pages, with the algorithms of lib/rbtree.c (bottom-up insertion, successor-based erase, the same
// recolouring and rotation cases), so that a search visits the nodes the kernel's visits. The
// kernel's searches prune stale dups and collapse chains on every node they pass, which changes
// the counters: reproducing the path reproduces that.

extension SimulatedKernel {
    @inline(__always) func rbLeft(_ n: Int32) -> Int32 { ksm.nodes[Int(n)].rbLeft }
    @inline(__always) func rbRight(_ n: Int32) -> Int32 { ksm.nodes[Int(n)].rbRight }
    @inline(__always) func rbParent(_ n: Int32) -> Int32 { ksm.nodes[Int(n)].rbParent }
    @inline(__always) func isRed(_ n: Int32) -> Bool { n >= 0 && ksm.nodes[Int(n)].rbRed }

    /// Replaces `old` by `new` in `parent`'s child link (or at the root).
    private func changeChild(_ old: Int32, _ new: Int32, _ parent: Int32) {
        if parent < 0 {
            ksm.stableRoot = new
        } else if ksm.nodes[Int(parent)].rbLeft == old {
            ksm.nodes[Int(parent)].rbLeft = new
        } else {
            ksm.nodes[Int(parent)].rbRight = new
        }
    }

    /// Makes `new` take `old`'s parent while `old` moves below it (a rotation's bookkeeping).
    private func rotateSetParents(_ old: Int32, _ new: Int32, red: Bool) {
        let parent = rbParent(old)
        ksm.nodes[Int(new)].rbParent = parent
        ksm.nodes[Int(new)].rbRed = ksm.nodes[Int(old)].rbRed
        ksm.nodes[Int(old)].rbParent = new
        ksm.nodes[Int(old)].rbRed = red
        changeChild(old, new, parent)
    }

    /// Links `node` as a red leaf under `parent` (left or right) and rebalances
    /// (`rb_link_node()` + `rb_insert_color()`).
    func rbInsert(_ node: Int32, parent: Int32, left: Bool) {
        ksm.stableEpoch &+= 1
        ksm.nodes[Int(node)].rbParent = parent
        ksm.nodes[Int(node)].rbLeft = -1
        ksm.nodes[Int(node)].rbRight = -1
        ksm.nodes[Int(node)].rbRed = true
        if parent < 0 {
            ksm.stableRoot = node
        } else if left {
            ksm.nodes[Int(parent)].rbLeft = node
        } else {
            ksm.nodes[Int(parent)].rbRight = node
        }
        var node = node
        var parent = parent
        while true {
            if parent < 0 {
                ksm.nodes[Int(node)].rbRed = false
                break
            }
            if !isRed(parent) { break }
            let gparent = rbParent(parent)
            var tmp = rbRight(gparent)
            if parent != tmp {  // parent is gparent's left child
                if isRed(tmp) {
                    // Case 1: uncle red: flip colours and go up.
                    ksm.nodes[Int(tmp)].rbRed = false
                    ksm.nodes[Int(parent)].rbRed = false
                    ksm.nodes[Int(gparent)].rbRed = true
                    node = gparent
                    parent = rbParent(node)
                    continue
                }
                tmp = rbRight(parent)
                if node == tmp {
                    // Case 2: left rotate at parent.
                    tmp = rbLeft(node)
                    ksm.nodes[Int(parent)].rbRight = tmp
                    ksm.nodes[Int(node)].rbLeft = parent
                    if tmp >= 0 {
                        ksm.nodes[Int(tmp)].rbParent = parent
                        ksm.nodes[Int(tmp)].rbRed = false
                    }
                    ksm.nodes[Int(parent)].rbParent = node
                    ksm.nodes[Int(parent)].rbRed = true
                    parent = node
                    tmp = rbRight(node)
                }
                // Case 3: right rotate at gparent.
                ksm.nodes[Int(gparent)].rbLeft = tmp
                ksm.nodes[Int(parent)].rbRight = gparent
                if tmp >= 0 {
                    ksm.nodes[Int(tmp)].rbParent = gparent
                    ksm.nodes[Int(tmp)].rbRed = false
                }
                rotateSetParents(gparent, parent, red: true)
                break
            } else {
                tmp = rbLeft(gparent)
                if isRed(tmp) {
                    ksm.nodes[Int(tmp)].rbRed = false
                    ksm.nodes[Int(parent)].rbRed = false
                    ksm.nodes[Int(gparent)].rbRed = true
                    node = gparent
                    parent = rbParent(node)
                    continue
                }
                tmp = rbLeft(parent)
                if node == tmp {
                    tmp = rbRight(node)
                    ksm.nodes[Int(parent)].rbLeft = tmp
                    ksm.nodes[Int(node)].rbRight = parent
                    if tmp >= 0 {
                        ksm.nodes[Int(tmp)].rbParent = parent
                        ksm.nodes[Int(tmp)].rbRed = false
                    }
                    ksm.nodes[Int(parent)].rbParent = node
                    ksm.nodes[Int(parent)].rbRed = true
                    parent = node
                    tmp = rbLeft(node)
                }
                ksm.nodes[Int(gparent)].rbRight = tmp
                ksm.nodes[Int(parent)].rbLeft = gparent
                if tmp >= 0 {
                    ksm.nodes[Int(tmp)].rbParent = gparent
                    ksm.nodes[Int(tmp)].rbRed = false
                }
                rotateSetParents(gparent, parent, red: true)
                break
            }
        }
    }

    /// Puts `new` exactly where `old` is, with its colour and children (`rb_replace_node()`).
    func rbReplace(_ old: Int32, with new: Int32) {
        linkStableNodes()
        ksm.stableEpoch &+= 1
        let o = ksm.nodes[Int(old)]
        ksm.nodes[Int(new)].rbLeft = o.rbLeft
        ksm.nodes[Int(new)].rbRight = o.rbRight
        ksm.nodes[Int(new)].rbParent = o.rbParent
        ksm.nodes[Int(new)].rbRed = o.rbRed
        if o.rbLeft >= 0 { ksm.nodes[Int(o.rbLeft)].rbParent = new }
        if o.rbRight >= 0 { ksm.nodes[Int(o.rbRight)].rbParent = new }
        changeChild(old, new, o.rbParent)
    }

    /// Removes `node` from the tree and rebalances (`rb_erase()`).
    func rbErase(_ node: Int32) {
        linkStableNodes()
        ksm.stableEpoch &+= 1
        let child = rbRight(node)
        var tmp = rbLeft(node)
        var rebalance: Int32 = -1
        if tmp < 0 {
            // At most one (right) child.
            let parent = rbParent(node)
            let wasRed = ksm.nodes[Int(node)].rbRed
            changeChild(node, child, parent)
            if child >= 0 {
                ksm.nodes[Int(child)].rbParent = parent
                ksm.nodes[Int(child)].rbRed = wasRed
            } else if !wasRed {
                rebalance = parent
            }
            tmp = parent
        } else if child < 0 {
            // Only a left child, which is red: it takes the node's place and colour.
            let parent = rbParent(node)
            ksm.nodes[Int(tmp)].rbParent = parent
            ksm.nodes[Int(tmp)].rbRed = ksm.nodes[Int(node)].rbRed
            changeChild(node, tmp, parent)
            tmp = parent
        } else {
            var successor = child
            var child2: Int32
            var parent: Int32
            tmp = rbLeft(child)
            if tmp < 0 {
                // The right child is the successor.
                parent = successor
                child2 = rbRight(successor)
            } else {
                // The successor is the leftmost node of the right subtree.
                repeat {
                    parent = successor
                    successor = tmp
                    tmp = rbLeft(tmp)
                } while tmp >= 0
                child2 = rbRight(successor)
                ksm.nodes[Int(parent)].rbLeft = child2
                ksm.nodes[Int(successor)].rbRight = child
                ksm.nodes[Int(child)].rbParent = successor
            }
            let left = rbLeft(node)
            ksm.nodes[Int(successor)].rbLeft = left
            ksm.nodes[Int(left)].rbParent = successor
            let nodeParent = rbParent(node)
            let nodeRed = ksm.nodes[Int(node)].rbRed
            changeChild(node, successor, nodeParent)
            let successorWasRed = ksm.nodes[Int(successor)].rbRed
            if child2 >= 0 {
                ksm.nodes[Int(child2)].rbParent = parent
                ksm.nodes[Int(child2)].rbRed = false
            } else if !successorWasRed {
                rebalance = parent
            }
            ksm.nodes[Int(successor)].rbParent = nodeParent
            ksm.nodes[Int(successor)].rbRed = nodeRed
            tmp = successor
        }
        if rebalance >= 0 { eraseColor(rebalance) }
    }

    /// `____rb_erase_color()`: restores the black heights after a black leaf was removed below
    /// `parent`.
    private func eraseColor(_ start: Int32) {
        var parent = start
        var node: Int32 = -1
        while true {
            var sibling = rbRight(parent)
            if node != sibling {  // node is parent's left child
                if isRed(sibling) {
                    // Case 1: left rotate at parent.
                    let tmp1 = rbLeft(sibling)
                    ksm.nodes[Int(parent)].rbRight = tmp1
                    ksm.nodes[Int(sibling)].rbLeft = parent
                    ksm.nodes[Int(tmp1)].rbParent = parent
                    ksm.nodes[Int(tmp1)].rbRed = false
                    rotateSetParents(parent, sibling, red: true)
                    sibling = tmp1
                }
                var tmp1 = rbRight(sibling)
                if !isRed(tmp1) {
                    let tmp2 = rbLeft(sibling)
                    if !isRed(tmp2) {
                        // Case 2: sibling colour flip.
                        ksm.nodes[Int(sibling)].rbRed = true
                        if isRed(parent) {
                            ksm.nodes[Int(parent)].rbRed = false
                        } else {
                            node = parent
                            parent = rbParent(node)
                            if parent >= 0 { continue }
                        }
                        break
                    }
                    // Case 3: right rotate at sibling.
                    tmp1 = rbRight(tmp2)
                    ksm.nodes[Int(sibling)].rbLeft = tmp1
                    ksm.nodes[Int(tmp2)].rbRight = sibling
                    ksm.nodes[Int(parent)].rbRight = tmp2
                    if tmp1 >= 0 {
                        ksm.nodes[Int(tmp1)].rbParent = sibling
                        ksm.nodes[Int(tmp1)].rbRed = false
                    }
                    tmp1 = sibling
                    sibling = tmp2
                }
                // Case 4: left rotate at parent and colour flip.
                let tmp2 = rbLeft(sibling)
                ksm.nodes[Int(parent)].rbRight = tmp2
                ksm.nodes[Int(sibling)].rbLeft = parent
                ksm.nodes[Int(tmp1)].rbParent = sibling
                ksm.nodes[Int(tmp1)].rbRed = false
                if tmp2 >= 0 { ksm.nodes[Int(tmp2)].rbParent = parent }
                rotateSetParents(parent, sibling, red: false)
                break
            } else {
                sibling = rbLeft(parent)
                if isRed(sibling) {
                    let tmp1 = rbRight(sibling)
                    ksm.nodes[Int(parent)].rbLeft = tmp1
                    ksm.nodes[Int(sibling)].rbRight = parent
                    ksm.nodes[Int(tmp1)].rbParent = parent
                    ksm.nodes[Int(tmp1)].rbRed = false
                    rotateSetParents(parent, sibling, red: true)
                    sibling = tmp1
                }
                var tmp1 = rbLeft(sibling)
                if !isRed(tmp1) {
                    let tmp2 = rbRight(sibling)
                    if !isRed(tmp2) {
                        ksm.nodes[Int(sibling)].rbRed = true
                        if isRed(parent) {
                            ksm.nodes[Int(parent)].rbRed = false
                        } else {
                            node = parent
                            parent = rbParent(node)
                            if parent >= 0 { continue }
                        }
                        break
                    }
                    tmp1 = rbLeft(tmp2)
                    ksm.nodes[Int(sibling)].rbRight = tmp1
                    ksm.nodes[Int(tmp2)].rbLeft = sibling
                    ksm.nodes[Int(parent)].rbLeft = tmp2
                    if tmp1 >= 0 {
                        ksm.nodes[Int(tmp1)].rbParent = sibling
                        ksm.nodes[Int(tmp1)].rbRed = false
                    }
                    tmp1 = sibling
                    sibling = tmp2
                }
                let tmp2 = rbRight(sibling)
                ksm.nodes[Int(parent)].rbLeft = tmp2
                ksm.nodes[Int(sibling)].rbRight = parent
                ksm.nodes[Int(tmp1)].rbParent = sibling
                ksm.nodes[Int(tmp1)].rbRed = false
                if tmp2 >= 0 { ksm.nodes[Int(tmp2)].rbParent = parent }
                rotateSetParents(parent, sibling, red: false)
                break
            }
        }
    }

    /// memcmp of the pages `a` (whose prefix, ``PageContent/prefix(_:_:)``, is `prefix`) and `b`
    /// (`memcmp_pages()`): negative, zero or positive, from `b`'s first 16 bytes when they differ
    /// from `prefix`. With ids, the order of the ids.
    @inline(__always) func comparePages<C: PageContent>(
        _ a: PageHandle, prefix: (UInt64, UInt64), _ b: PageHandle, _ content: C.Type
    ) -> Int32 {
        if a == b { return 0 }
        let q = C.prefix(store, b)
        if prefix.0 != q.0 { return prefix.0 < q.0 ? -1 : 1 }
        if prefix.1 != q.1 { return prefix.1 < q.1 ? -1 : 1 }
        return C.compareAfterPrefix(store, a, b)
    }
}

/// A backing object with a page cache: a file, a shmem object, or a device.
///
/// Shared mappings read and write its pages directly; private mappings read them until a write
/// copies the page into the process (copy-on-write).
final class MemoryObject {
    let id: ObjectID
    let name: String
    let backing: Backing
    /// Page offset to page; absent pages read as zeros (a sparse file). Unchecked as in `KSMState`:
    /// every read of a shared mapping's page looks here.
    @exclusivity(unchecked) var pages: [Int: PageHandle] = [:]

    init(id: ObjectID, name: String, backing: Backing) {
        self.id = id
        self.name = name
        self.backing = backing
    }
}

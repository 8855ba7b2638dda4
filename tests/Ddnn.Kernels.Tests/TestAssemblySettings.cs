// Kernel path (KernelDispatch) and thread count (KernelParallelism) are process-wide settings that tests force
// and restore; running test classes concurrently would let one class change them under another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

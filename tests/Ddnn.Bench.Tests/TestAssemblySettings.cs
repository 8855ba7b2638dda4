// Verbs set process-wide state (KernelParallelism.MaxThreads through --threads) and the tests share one trained run;
// running test classes concurrently would let one class change that state under another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

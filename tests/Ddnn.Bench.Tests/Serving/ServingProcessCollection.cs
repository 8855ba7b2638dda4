namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Tests that start brokers or <c>ddnn serve</c> processes. They run one at a time, after the parallel tests, so their
/// processes neither compete with each other for the two cores nor see each other's brokers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServingProcessCollection
{
    public const string Name = "serving processes";
}

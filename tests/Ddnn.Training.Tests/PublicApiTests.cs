using Ddnn.TestSupport;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests;

/// <summary>The public API of Ddnn.Training is the committed baseline api/Ddnn.Training.txt (see <see cref="PublicApiBaseline"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_matches_the_committed_baseline() => PublicApiBaseline.AssertMatches(typeof(DdnnTrainer).Assembly);
}

using Ddnn.TestSupport;

namespace Ddnn.Core.Tests;

/// <summary>The public API of Ddnn.Core is the committed baseline api/Ddnn.Core.txt (see <see cref="PublicApiBaseline"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_matches_the_committed_baseline() => PublicApiBaseline.AssertMatches(typeof(Tensor).Assembly);
}

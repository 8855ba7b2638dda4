using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests;

/// <summary>The public API of Ddnn.Kernels is the committed baseline api/Ddnn.Kernels.txt (see <see cref="PublicApiBaseline"/>).</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_matches_the_committed_baseline() => PublicApiBaseline.AssertMatches(typeof(Gemm).Assembly);

    [Fact]
    public void PublicApi_difference_shows_the_changed_lines_between_the_common_beginning_and_end()
    {
        var baseline = "namespace N\n{\n    public class A\n    public class B\n}\n";
        var current = "namespace N\n{\n    public class A\n    public class C\n    public class D\n}\n";
        var difference = PublicApiBaseline.Difference(baseline, current);
        Assert.Equal("@@ line 4: 1 line(s) in the baseline, 2 now\n-    public class B\n+    public class C\n+    public class D",
            difference);
    }

    [Fact]
    public void PublicApi_difference_cuts_a_long_block_and_says_how_much_is_left()
    {
        var current = string.Join('\n', Enumerable.Range(0, 25).Select(i => $"line {i}"));
        var difference = PublicApiBaseline.Difference("", current).Split('\n');
        Assert.Equal("+line 19", difference[^2]);
        Assert.Equal("+ ... 5 more", difference[^1]);
    }
}

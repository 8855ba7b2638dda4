using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class TextTableTests
{
    [Fact]
    public void Aligns_text_left_and_numbers_right()
    {
        var table = new TextTable("split", "samples", "acc")
            .AddRow("train", "3000", "91.5%")
            .AddRow("validation", "600", "-");
        Assert.Equal(
            "split       samples    acc\n" +
            "train          3000  91.5%\n" +
            "validation      600      -\n",
            table.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void Rejects_rows_of_the_wrong_width()
    {
        var table = new TextTable("a", "b");
        Assert.Throws<ArgumentException>(() => table.AddRow("1"));
        Assert.Throws<ArgumentException>(() => new TextTable());
    }
}

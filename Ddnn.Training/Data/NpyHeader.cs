using System.Globalization;

namespace Ddnn.Training.Data;

/// <summary>The parsed header dict of a .npy file: {'descr': str, 'fortran_order': bool, 'shape': tuple of ints}.</summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, int[] Shape)
{
    /// <summary>Parses the Python-literal dict NumPy writes; rejects anything else with a message naming <paramref name="name"/>.</summary>
    public static NpyHeader Parse(string text, string name)
    {
        var parser = new Parser(text, name);
        return parser.ParseHeader();
    }

    private sealed class Parser(string text, string name)
    {
        private int _pos;

        public NpyHeader ParseHeader()
        {
            string? descr = null;
            bool? fortran = null;
            int[]? shape = null;
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (TryConsume('}'))
                    break;
                string key = ParseString();
                Expect(':');
                SkipSpace();
                switch (key)
                {
                    case "descr":
                        // A list descr is a record dtype: numbers under field names, not one image or label array.
                        if (_pos < text.Length && text[_pos] == '[')
                            throw new InvalidDataException($"{name}: structured (record) dtype cannot be read: records are not image or label data (save an integer or float dtype)");
                        descr = ParseString();
                        break;
                    case "fortran_order": fortran = ParseBool(); break;
                    case "shape": shape = ParseShape(); break;
                    default: throw Error($"unexpected header key '{key}'");
                }
                SkipSpace();
                if (TryConsume(','))
                    continue;
                Expect('}');
                break;
            }
            if (descr is null)
                throw Error("header has no 'descr'");
            if (fortran is null)
                throw Error("header has no 'fortran_order'");
            if (shape is null)
                throw Error("header has no 'shape'");
            return new NpyHeader(descr, fortran.Value, shape);
        }

        private string ParseString()
        {
            SkipSpace();
            if (_pos >= text.Length || (text[_pos] != '\'' && text[_pos] != '"'))
                throw Error("expected a quoted string");
            char quote = text[_pos++];
            int end = text.IndexOf(quote, _pos);
            if (end < 0)
                throw Error("unterminated string");
            string value = text[_pos..end];
            _pos = end + 1;
            return value;
        }

        private bool ParseBool()
        {
            if (TryConsumeWord("True"))
                return true;
            if (TryConsumeWord("False"))
                return false;
            throw Error("expected True or False for 'fortran_order'");
        }

        private int[] ParseShape()
        {
            Expect('(');
            var dims = new List<int>();
            while (true)
            {
                SkipSpace();
                if (TryConsume(')'))
                    break;
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                    _pos++;
                // NumPy may write Python 2 long suffixes ('L') in old files.
                string digits = text[start.._pos];
                if (_pos < text.Length && text[_pos] == 'L')
                    _pos++;
                if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                    throw Error("expected a non-negative integer dimension in 'shape'");
                dims.Add(dim);
                SkipSpace();
                if (TryConsume(','))
                    continue;
                Expect(')');
                break;
            }
            return dims.ToArray();
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (!TryConsume(c))
                throw Error($"expected '{c}'");
        }

        private bool TryConsume(char c)
        {
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        private bool TryConsumeWord(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0)
            {
                _pos += word.Length;
                return true;
            }
            return false;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
                _pos++;
        }

        private InvalidDataException Error(string what) =>
            new($"{name}: malformed .npy header ({what} at offset {_pos}): {text.TrimEnd()}");
    }
}

# Set Setting.text_formatting to ARGV[0] (textile, markdown, common_mark); print the old one.
old = Setting.text_formatting
Setting.text_formatting = ARGV[0]
puts old

# Fields for doctor's field checks, enabled in project ARGV[0] only and named ARGV[1]...:
# "... single" (a one-value list holding the Labels values), "... bug-only" (Labels'
# values, multiple, for the tracker Bug only), "... few" (multiple, only "duplicate") and
# "... required" (a required text field). drop_fields.rb ARGV[1] removes them.
project = Project.find_by_identifier!(ARGV[0])
prefix = ARGV[1]
labels = IssueCustomField.find_by!(name: 'Labels').possible_values
bug = Tracker.find_by!(name: 'Bug')
{
  'single' => { field_format: 'list', possible_values: labels, multiple: false },
  'bug-only' => { field_format: 'list', possible_values: labels, multiple: true, trackers: [bug] },
  'few' => { field_format: 'list', possible_values: %w[duplicate], multiple: true },
  'required' => { field_format: 'string', is_required: true },
}.each do |suffix, options|
  trackers = options.delete(:trackers) || Tracker.all.to_a
  cf = IssueCustomField.new(name: "#{prefix} #{suffix}", is_for_all: false, visible: true,
                            **options)
  cf.trackers = trackers
  cf.projects = [project]
  cf.save!
end
